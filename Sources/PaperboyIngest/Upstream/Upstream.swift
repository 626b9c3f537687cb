import Foundation
import PaperboyCore

// The seams between the sync services (PaperboyApp/Sync) and the HTTP clients that talk to
// Hugging Face and arXiv's OAI-PMH service. The services only see these protocols, so their
// tests can use fakes on a TestClock and the clients can be tested against a replay server.

/// Why an upstream request failed, in terms a sync service can act on.
public enum UpstreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection, connection reset, DNS failure: the upstream cannot be reached now.
    case unreachable(String)
    /// No complete answer within the timeout.
    case timedOut(seconds: Int)
    /// 429 or 503 still answered after the client's retries; `retryAfter` as the last answer said.
    case throttled(status: Int, retryAfter: Duration?)
    /// Any other answer that is not a success (4xx, 5xx), with a short excerpt of the body.
    case status(Int, String)
    /// A success whose body cannot be read: truncated, not JSON/XML, wrong shape.
    case badBody(String)
    /// An OAI-PMH `<error code=…>` other than `noRecordsMatch` (which is an empty list).
    case oai(code: String, message: String)

    /// Outages (worth retrying later) as opposed to answers that will not change by waiting.
    public var isOutage: Bool {
        switch self {
        case .unreachable, .timedOut, .throttled: true
        case .status(let code, _): code >= 500
        case .badBody, .oai: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let reason): "cannot reach the upstream: \(reason)"
        case .timedOut(let seconds): "no complete answer within \(seconds) s"
        case .throttled(let status, let retryAfter):
            "HTTP \(status), still throttled after retrying" + (retryAfter.map { " (Retry-After \(Int($0.seconds)) s)" } ?? "")
        case .status(let code, let excerpt): "HTTP \(code)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
        case .badBody(let reason): "unreadable answer: \(reason)"
        case .oai(let code, let message): "OAI-PMH error \(code)" + (message.isEmpty ? "" : ": \(message)")
        }
    }
}

/// `GET {endpoint}/api/daily_papers?date=D` on Hugging Face (or a mirror of it).
public protocol HFDailyFetching: Sendable {
    /// The body of the day's answer, as sent (HFDailyParser reads it). Throws `UpstreamError`.
    func dailyPapers(on day: FeedDay) async throws -> Data
}

/// What metadata format an OAI-PMH harvest asks for.
public enum OAIMetadataPrefix: String, Sendable, CaseIterable {
    case arXiv
    case arXivRaw
    case oaiDC = "oai_dc"
}

/// One `ListRecords` request: the first of a harvest, or the page a resumption token names.
public enum OAIListRequest: Sendable, Equatable {
    /// `from`/`until` are `YYYY-MM-DD` (arXiv's datestamp granularity); `set` e.g. `cs`.
    case start(metadataPrefix: OAIMetadataPrefix, set: String?, from: String?, until: String?)
    /// The token exactly as the previous page sent it (opaque: `6965856|1001` on the legacy
    /// service, a URL-encoded string with an expiration date on the new one).
    case resume(token: String)
}

/// One record of a page. Deleted records carry no paper; a record whose metadata cannot be
/// used carries the reason instead, so the harvest reports it and goes on.
public struct OAIRecord: Sendable, Equatable {
    /// `oai:arXiv.org:2103.12345`.
    public var identifier: String
    /// The record's datestamp, `YYYY-MM-DD`.
    public var datestamp: String
    public var deleted: Bool
    public var paper: Paper?
    public var problem: String?
    /// The header's `<setSpec>`s, e.g. `cs`, `physics:hep-th`, `physics:physics:plasm-ph` (the
    /// new service's names).
    public var setSpecs: [String]

    public init(
        identifier: String,
        datestamp: String,
        deleted: Bool = false,
        paper: Paper? = nil,
        problem: String? = nil,
        setSpecs: [String] = []
    ) {
        self.identifier = identifier
        self.datestamp = datestamp
        self.deleted = deleted
        self.paper = paper
        self.problem = problem
        self.setSpecs = setSpecs
    }
}

/// One page of a `ListRecords` answer.
public struct OAIPage: Sendable, Equatable {
    public var records: [OAIRecord]
    /// nil or empty: this was the last page.
    public var resumptionToken: String?
    public var completeListSize: Int?
    public var cursor: Int?
    /// `<responseDate>`, the server's clock: the next incremental harvest starts from its day.
    public var responseDate: String?

    public init(records: [OAIRecord], resumptionToken: String? = nil, completeListSize: Int? = nil, cursor: Int? = nil, responseDate: String? = nil) {
        self.records = records
        self.resumptionToken = resumptionToken
        self.completeListSize = completeListSize
        self.cursor = cursor
        self.responseDate = responseDate
    }

    /// True when no further page follows.
    public var isLast: Bool { resumptionToken?.isEmpty ?? true }
}

/// arXiv's OAI-PMH `ListRecords`, one page per call. The client keeps arXiv's request spacing
/// and honours `Retry-After`; `noRecordsMatch` answers an empty last page; other OAI errors
/// (`badResumptionToken`, `badArgument`, …) throw `UpstreamError.oai`.
public protocol OAIPMHFetching: Sendable {
    func listRecords(_ request: OAIListRequest) async throws -> OAIPage
}
