import HTTPTypes
import Testing

@testable import PaperboyApp
@testable import PaperboyCore
@testable import PaperboyWeb

@Suite struct TrustedProxiesTests {
    let nginx: TrustedProxies

    init() throws {
        nginx = try TrustedProxies(list: "127.0.0.1, ::1")
    }

    @Test func aTrustedPeerNamesTheClientInXForwardedFor() {
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        #expect(nginx.clientAddress(peer: "::1", forwardedFor: ["2001:db8::7"]) == "2001:db8::7")
    }

    @Test func anUntrustedPeerIsTheClientWhateverItSends() {
        #expect(nginx.clientAddress(peer: "198.51.100.9", forwardedFor: ["203.0.113.7"]) == "198.51.100.9")
        #expect(TrustedProxies().clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7"]) == "127.0.0.1")
        #expect(nginx.clientAddress(peer: nil, forwardedFor: ["203.0.113.7"]) == nil)
    }

    @Test func theRightMostUntrustedHopIsTheClient() throws {
        // The client wrote 192.0.2.66 itself; nginx appended the address it really came from.
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["192.0.2.66, 203.0.113.7"]) == "203.0.113.7")
        // Two trusted proxies in a row are skipped, across several header fields.
        let chain = try TrustedProxies(list: "127.0.0.1,10.0.0.2")
        #expect(chain.clientAddress(peer: "127.0.0.1", forwardedFor: ["192.0.2.66, 203.0.113.7", "10.0.0.2"]) == "203.0.113.7")
        // Only trusted hops: the left-most is as far as anyone vouches.
        #expect(chain.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.0.0.2, 127.0.0.1"]) == "10.0.0.2")
    }

    @Test func withoutAForwardedAddressTheProxyIsTheClient() {
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: [""]) == "127.0.0.1")
    }

    @Test func garbageStopsTheWalkAtTheHopThatWroteIt() {
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["unknown"]) == "127.0.0.1")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7, <script>"]) == "127.0.0.1")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["999.1.1.1"]) == "127.0.0.1")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7:"]) == "127.0.0.1")
        // Garbage left of the real client is the client's own doing and does not matter.
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["nonsense, 203.0.113.7"]) == "203.0.113.7")
    }

    @Test func forwardedAddressesMayCarryPortsAndAreNormalised() {
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7:4711"]) == "203.0.113.7")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["[2001:DB8:0::7]:4711"]) == "2001:db8::7")
        #expect(nginx.clientAddress(peer: "127.0.0.1", forwardedFor: ["::ffff:203.0.113.7"]) == "203.0.113.7")
        // A dual-stack socket reports an IPv4 proxy as IPv4-mapped IPv6.
        #expect(nginx.clientAddress(peer: "::ffff:127.0.0.1", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
    }

    @Test func theListMustHoldOnlyAddresses() throws {
        #expect(try TrustedProxies(list: " 10.0.0.1 ,, fd00::1 ") == TrustedProxies(list: "fd00::1,10.0.0.1"))
        #expect(try TrustedProxies(list: "").isEmpty)
        #expect(throws: TrustedProxies.InvalidAddress(text: "proxy.local")) { try TrustedProxies(list: "10.0.0.1,proxy.local") }
        #expect(throws: TrustedProxies.InvalidAddress(text: "10.0.0.0/8")) { try TrustedProxies(list: "10.0.0.0/8") }
    }

    @Test func onlyATrustedProxySaysTheClientUsedHTTPS() {
        #expect(nginx.forwardedHTTPS(peer: "127.0.0.1", forwardedProto: ["https"]))
        #expect(nginx.forwardedHTTPS(peer: "127.0.0.1", forwardedProto: ["HTTPS"]))
        #expect(!nginx.forwardedHTTPS(peer: "127.0.0.1", forwardedProto: ["http"]))
        #expect(!nginx.forwardedHTTPS(peer: "127.0.0.1", forwardedProto: []))
        #expect(!nginx.forwardedHTTPS(peer: "198.51.100.9", forwardedProto: ["https"]))
    }

    @Test func cookiesGetSecureOnce() {
        var headers: HTTPFields = [:]
        headers.append(HTTPField(name: .setCookie, value: "pb_session=abc; Path=/; HttpOnly"))
        headers.append(HTTPField(name: .setCookie, value: "other=1; Secure"))
        ForwardedClientMiddleware.markCookiesSecure(&headers)
        #expect(headers[values: .setCookie] == ["pb_session=abc; Path=/; HttpOnly; Secure", "other=1; Secure"])
    }
}
