import Foundation
import HTTPTypes
import Hummingbird

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies (nginx on the same machine, a load balancer) whose `X-Forwarded-For` and
/// `X-Forwarded-Proto` headers are believed. A request from any other peer is taken at face
/// value: its TCP peer is the client whatever it sends, so nobody can pick their own rate-limit
/// bucket by writing `X-Forwarded-For` themselves.
public struct TrustedProxies: Sendable, Equatable {
    /// An entry of the list that is not an IP address.
    public struct InvalidAddress: Error, Equatable, CustomStringConvertible {
        public let text: String
        public var description: String { "“\(text)” is not an IP address" }
    }

    let addresses: Set<IPAddress>

    /// Trusts nobody: forwarded headers are ignored (the default).
    public init() {
        addresses = []
    }

    /// Parses a comma-separated list of IPv4 and IPv6 addresses ("127.0.0.1, ::1"); empty
    /// entries are skipped, anything else that is not an address is an error.
    public init(list: String) throws(InvalidAddress) {
        var addresses = Set<IPAddress>()
        for entry in list.split(separator: ",") {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let address = IPAddress(text) else { throw InvalidAddress(text: text) }
            addresses.insert(address)
        }
        self.addresses = addresses
    }

    public var isEmpty: Bool { addresses.isEmpty }

    /// The address of the client a request came from. Without a trusted proxy as the peer,
    /// the peer. From a trusted proxy, the right-most `X-Forwarded-For` address that is not
    /// itself a trusted proxy: each proxy appends the address it was sent the request from, so
    /// only the entries right of the first untrusted one are vouched for, and anything left of it
    /// may have been written by the client. An entry that is not an address stops the walk at the
    /// hop that wrote it; when every entry is a trusted proxy, the left-most is the client.
    /// - Parameter forwardedFor: the values of every `X-Forwarded-For` field, in order.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, let peerAddress = IPAddress(peer), addresses.contains(peerAddress) else { return peer }
        var client = peerAddress
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        for hop in hops.reversed() {
            guard let address = IPAddress(forwarded: hop.trimmingCharacters(in: .whitespaces)) else { break }
            client = address
            if !addresses.contains(address) { break }
        }
        return client.description
    }

    /// Whether a trusted proxy says the client reached it over TLS (`X-Forwarded-Proto: https`,
    /// as the nearest proxy saw it).
    func forwardedHTTPS(peer: String?, forwardedProto: [String]) -> Bool {
        guard let peer, let peerAddress = IPAddress(peer), addresses.contains(peerAddress) else { return false }
        let nearest = forwardedProto.flatMap { $0.split(separator: ",") }.last
        return nearest?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}

/// Replaces `context.remoteAddress` with the forwarded client's address for requests from a
/// trusted proxy (the rate limits key on it), and marks cookies `Secure` when that proxy
/// terminated TLS, so a server behind nginx needs no `--public-url` for that.
struct ForwardedClientMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    let trusted: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty else { return try await next(request, context) }
        let peer = context.remoteAddress
        var context = context
        context.remoteAddress = trusted.clientAddress(peer: peer, forwardedFor: request.headers[values: Self.forwardedFor])
        var response = try await next(request, context)
        if trusted.forwardedHTTPS(peer: peer, forwardedProto: request.headers[values: Self.forwardedProto]) {
            Self.markCookiesSecure(&response.headers)
        }
        return response
    }

    static func markCookiesSecure(_ headers: inout HTTPFields) {
        let cookies = headers[values: .setCookie]
        guard !cookies.isEmpty else { return }
        headers[values: .setCookie] = cookies.map { cookie in
            let attributes = cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return attributes.contains("secure") ? cookie : cookie + "; Secure"
        }
    }
}

/// An IPv4 or IPv6 address, compared by its bytes (so `::1` and `0:0::1` are the same), with
/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, what a dual-stack socket reports) as IPv4.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        bytes = raw.starts(with: mappedPrefix) ? Array(raw[12...]) : raw
    }

    /// An `X-Forwarded-For` entry, which some proxies write with a port: `192.0.2.1`,
    /// `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711`.
    init?(forwarded text: String) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && Self.isPort(rest.dropFirst())) else { return nil }
            self.init(String(text[text.index(after: text.startIndex)..<close]))
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard Self.isPort(text[text.index(after: colon)...]) else { return nil }
            self.init(String(text[..<colon]))
        } else {
            self.init(text)
        }
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    var description: String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
