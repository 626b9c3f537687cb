import AsyncHTTPClient
import Foundation
import Logging
import PaperboyCore

/// The live `OAIPMHFetching` for arXiv: one `ListRecords` page per call, requests spaced as
/// arXiv asks (at least `spacing` between the starts of consecutive requests, retries
/// included), `Retry-After` on 503 honoured, redirects followed (the legacy
/// `export.arxiv.org/oai2` answers 301 to `oaipmh.arxiv.org/oai`).
public struct OAIPMHClient: OAIPMHFetching {
    public static let defaultBaseURL = "https://oaipmh.arxiv.org/oai"

    public var baseURL: String
    let http: UpstreamHTTP
    let spacer: RequestSpacer

    /// - Parameter spacing: arXiv's rule is one request every 3 seconds; 0 for benchmarks
    ///   against the replay server.
    public init(
        baseURL: String = OAIPMHClient.defaultBaseURL,
        spacing: Duration = .seconds(3),
        httpClient: HTTPClient = UpstreamHTTPClient.shared,
        timeout: Duration = .seconds(120),
        maxBodyBytes: Int = 64 * 1024 * 1024,
        retry: UpstreamRetryPolicy = UpstreamRetryPolicy(attempts: 5, backoff: .seconds(5), maxWait: .seconds(300)),
        userAgent: String = UpstreamUserAgent.default,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "paperboy.upstream.oai")
    ) {
        self.baseURL = baseURL
        self.http = UpstreamHTTP(
            httpClient: httpClient,
            timeout: timeout,
            maxBodyBytes: maxBodyBytes,
            retry: retry,
            userAgent: userAgent,
            clock: clock,
            logger: logger
        )
        self.spacer = RequestSpacer(spacing: spacing, clock: clock)
    }

    public func listRecords(_ request: OAIListRequest) async throws -> OAIPage {
        let url = "\(baseURL)?\(Self.query(for: request))"
        let spacer = self.spacer
        return try await http.get(
            url,
            headers: [("Accept", "text/xml")],
            beforeAttempt: { try await spacer.waitForTurn() },
            afterAttempt: { await spacer.finished() },
            decode: { try OAIPMHParser().parse($0) }
        )
    }

    /// The query string of a request; the resumption token is opaque text, percent-encoded
    /// whole and never looked into.
    static func query(for request: OAIListRequest) -> String {
        var items: [(String, String)] = [("verb", "ListRecords")]
        switch request {
        case .start(let prefix, let set, let from, let until):
            items.append(("metadataPrefix", prefix.rawValue))
            if let set { items.append(("set", set)) }
            if let from { items.append(("from", from)) }
            if let until { items.append(("until", until)) }
        case .resume(let token):
            items.append(("resumptionToken", token))
        }
        return items.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    /// Everything but RFC 3986's unreserved characters is escaped (`|`, `:`, `+`, `/`, `=`, `%`).
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// Keeps at least `spacing` of clock time between the starts of consecutive requests, and
/// between the end of one and the start of the next: arXiv counts the gaps between requests
/// as they arrive, and a slow first connection would otherwise bunch the first two together.
/// Each caller reserves its slot before sleeping, so concurrent callers queue up instead of
/// firing together when a shared sleep ends.
actor RequestSpacer {
    let spacing: Duration
    let clock: any WallClock
    /// When the last request started or ended, whichever is later.
    private var lastActivity: Double?

    init(spacing: Duration, clock: any WallClock) {
        self.spacing = spacing
        self.clock = clock
    }

    func waitForTurn() async throws {
        let now = clock.now
        let start = lastActivity.map { max(now, $0 + spacing.seconds) } ?? now
        lastActivity = start
        if start > now {
            try await clock.sleep(for: .milliseconds(Int64(((start - now) * 1000).rounded(.up))))
        }
    }

    /// A request ended: the next may start `spacing` from now at the earliest.
    func finished() {
        lastActivity = max(lastActivity ?? clock.now, clock.now)
    }
}
