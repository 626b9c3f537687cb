import Hummingbird

/// Where absolute links (API pagination, feeds, examples) point. The configured public URL
/// when there is one; otherwise the request's host only when it is on the allowed list, and
/// the listen address for anyone else, so a forged `Host` header never ends up in a link.
public struct LinkBase: Sendable {
    public var publicURL: String?
    public var allowedHosts: Set<String>
    /// `http://HOST:PORT` of the listen address.
    public var listenAddress: String

    public init(publicURL: String?, allowedHosts: [String] = [], listenAddress: String) {
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.listenAddress = listenAddress
    }

    func base(for request: Request) -> String {
        if let publicURL { return publicURL }
        if let authority = request.head.authority?.lowercased(), allowedHosts.contains(Self.host(of: authority)),
            authority.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) })
        {
            return "http://\(authority)"
        }
        return listenAddress
    }

    /// `example.org:8080` → `example.org`; `[::1]:8080` → `[::1]`.
    static func host(of authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]) }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
