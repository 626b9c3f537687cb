import Foundation

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
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
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
    public func forwardedHTTPS(peer: String?, forwardedProto: [String]) -> Bool {
        guard let peer, let peerAddress = IPAddress(peer), addresses.contains(peerAddress) else { return false }
        let nearest = forwardedProto.flatMap { $0.split(separator: ",") }.last
        return nearest?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}
