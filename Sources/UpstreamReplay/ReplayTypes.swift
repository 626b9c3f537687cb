import Foundation

/// One answer the replay server sends: status, headers and the whole body.
public struct ReplayResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [ReplayHeader]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [ReplayHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `application/json`, as Hugging Face answers.
    public static func json(_ body: Data, status: Int = 200) -> ReplayResponse {
        ReplayResponse(status: status, headers: [ReplayHeader("Content-Type", "application/json; charset=utf-8")], body: Array(body))
    }

    public static func json(_ text: String, status: Int = 200) -> ReplayResponse {
        json(Data(text.utf8), status: status)
    }

    /// `text/xml`, as arXiv's OAI-PMH service answers.
    public static func xml(_ body: Data, status: Int = 200) -> ReplayResponse {
        ReplayResponse(status: status, headers: [ReplayHeader("Content-Type", "text/xml; charset=utf-8")], body: Array(body))
    }

    /// A plain-text answer, e.g. a 503 page with `Retry-After`.
    public static func text(_ text: String, status: Int, headers: [ReplayHeader] = []) -> ReplayResponse {
        ReplayResponse(status: status, headers: [ReplayHeader("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
    }

    /// A throttling answer: `status` (429 or 503) with `Retry-After: retryAfter` when given
    /// (seconds, or an HTTP date).
    public static func throttled(_ status: Int = 503, retryAfter: String?) -> ReplayResponse {
        text("throttled", status: status, headers: retryAfter.map { [ReplayHeader("Retry-After", $0)] } ?? [])
    }

    /// A redirect to `location` (an absolute URL or a path on this server).
    public static func redirect(to location: String, status: Int = 301) -> ReplayResponse {
        ReplayResponse(status: status, headers: [ReplayHeader("Location", location)])
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct ReplayHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Something going wrong with the next answers of a route, for testing how a client copes.
public enum ReplayFault: Sendable, Equatable {
    /// Answers this instead of the route's response (503 + Retry-After, 429, 500, …).
    case answer(ReplayResponse)
    /// Sends the head with the full `Content-Length`, then half the body, then closes the
    /// connection: what a client sees when the upstream dies mid-answer.
    case dropMidBody
    /// Sends the first `keeping` bytes of the body (half when nil) with a matching
    /// `Content-Length`: a complete-looking HTTP answer whose JSON or XML is cut off.
    case truncatedBody(keeping: Int?)
    /// Waits `beforeHeaders`, then sends the body in `chunks` pieces with `betweenChunks`
    /// between them (real time: for testing client timeouts).
    case slow(beforeHeaders: Duration, betweenChunks: Duration = .zero, chunks: Int = 1)
}

/// One request the server received, for asserting what a client sent and when.
public struct ReplayRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/oai?verb=ListRecords&resumptionToken=6965856%7C1001`.
    public var uri: String
    public var path: String
    /// Query parameters, percent-decoded.
    public var query: [String: String]
    public var headers: [ReplayHeader]
    /// Wall time of arrival (seconds since 1970), for logs.
    public var receivedAt: Double
    /// Monotonic time of arrival, for measuring the spacing between requests.
    public var instant: ContinuousClock.Instant
    /// The status the server answered (before any fault that cut the body).
    public var status: Int = 0

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Which requests a route or a fault applies to: a path, and either any query or exactly
/// these (decoded) parameters.
public struct ReplayMatch: Sendable, Hashable {
    public var path: String
    /// nil matches any query; otherwise the request's parameters must equal these.
    public var query: [String: String]?

    public init(path: String, query: [String: String]? = nil) {
        self.path = path
        self.query = query
    }

    func matches(_ request: ReplayRequest) -> Bool {
        request.path == path && (query.map { $0 == request.query } ?? true)
    }
}
