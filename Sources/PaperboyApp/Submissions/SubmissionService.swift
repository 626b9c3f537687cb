import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// Puts a paper on today's feed for a reader, with the metadata arXiv gives.
public struct SubmissionService: Sendable {
    let store: any AccountStore & PaperStore & CurationStore
    let arxiv: any ArxivFetching
    let clock: any WallClock
    public let maximumAgeDays: Int
    public let dailyLimit: Int
    /// The most one submission waits for arXiv, all attempts and back-offs included.
    var arxivTimeout: Duration = .seconds(10)
    let metrics: AppMetrics
    /// Called after a paper went on the feed (cached pages must be dropped).
    var onChange: @Sendable () -> Void = {}

    public init(
        store: any AccountStore & PaperStore & CurationStore,
        arxiv: any ArxivFetching,
        clock: any WallClock,
        maximumAgeDays: Int,
        dailyLimit: Int,
        arxivTimeout: Duration = .seconds(10),
        metrics: AppMetrics,
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.arxiv = arxiv
        self.clock = clock
        self.maximumAgeDays = maximumAgeDays
        self.dailyLimit = dailyLimit
        self.arxivTimeout = arxivTimeout
        self.metrics = metrics
        self.onChange = onChange
    }

    /// Why a submission was refused, in words for the reader; `domainError` says what kind of
    /// failure each is.
    public enum Refusal: Error, Equatable {
        case notAnID(String)
        case unknown(String)
        case tooOld(String, days: Int)
        case alreadyFeatured(String, day: FeedDay)
        case hiddenByEditors(String)
        case dailyLimit(Int)
        case arxivUnavailable(String)
        case arxivTimedOut(seconds: Int)

        public var message: String {
            switch self {
            case .notAnID(let input): return "“\(input.prefix(80))” is not an arXiv id or arXiv URL."
            case .unknown(let id): return "arXiv has no paper \(id)."
            case .tooOld(let id, let days): return "\(id) was published more than \(days) days ago; only recent papers can go on the daily feed."
            case .alreadyFeatured(let id, let day): return "\(id) is already on the feed of \(day)."
            case .hiddenByEditors(let id): return "The editors took \(id) off the feed; it cannot be submitted again."
            case .dailyLimit(let limit): return "You have submitted \(limit) papers today, the most a reader can. Come back tomorrow."
            case .arxivUnavailable(let reason): return "arXiv could not be reached (\(reason)). Try again in a minute."
            case .arxivTimedOut(let seconds): return "arXiv did not answer within \(seconds) seconds. Try again in a minute."
            }
        }

        public var domainError: DomainError {
            switch self {
            case .notAnID, .tooOld: return .invalid(message)
            case .unknown: return .notFound(message)
            case .alreadyFeatured, .hiddenByEditors: return .conflict(message)
            case .dailyLimit: return .limitReached(message)
            case .arxivUnavailable: return .upstreamFailed(message)
            case .arxivTimedOut: return .upstreamTimedOut(message)
            }
        }
    }

    /// Submits, counting what went on the feed and what was refused.
    public func submit(_ input: String, by reader: Reader) async throws -> Paper {
        do {
            let paper = try await putOnFeed(input, by: reader)
            metrics.countSubmission(.imported)
            onChange()
            return paper
        } catch let refusal as Refusal {
            metrics.countSubmission(.rejected)
            throw refusal
        }
    }

    private func putOnFeed(_ input: String, by reader: Reader) async throws -> Paper {
        guard let id = ArxivID(input) else { throw Refusal.notAnID(input) }
        let today = FeedDay(timestamp: clock.now)
        let mine = try await store.feedEntries(FeedQuery(days: today...today, submitter: reader.name, limit: dailyLimit + 1))
        guard mine.count < dailyLimit else { throw Refusal.dailyLimit(dailyLimit) }
        if let featured = try await store.featuredDays(of: id.base).last {
            throw Refusal.alreadyFeatured(id.base, day: featured)
        }
        // What an editor took off the feed (the paper, or its entry on some day) stays off.
        if let curation = try await store.curation(of: id.base), curation.hidden || !curation.hiddenDays.isEmpty {
            throw Refusal.hiddenByEditors(id.base)
        }
        let paper = try await fetchFromArxiv(id)
        guard let published = paper.publishedDay, today.daysSinceEpoch - published.daysSinceEpoch <= maximumAgeDays else {
            throw Refusal.tooOld(id.base, days: maximumAgeDays)
        }
        let now = Date(timeIntervalSince1970: clock.now).formatted(.iso8601)
        let entry = DailyEntry(day: today, paper: paper, submittedAt: now, submitter: Submitter(name: reader.name), upvotes: 0)
        _ = try await store.importFeedDay(today, entries: [entry])
        return try await store.paper(id: paper.id) ?? paper
    }

    /// The paper arXiv has under `id`, within `arxivTimeout`; refusals say what went wrong.
    /// Editors featuring a paper not stored yet use it too.
    func fetchFromArxiv(_ id: ArxivID) async throws -> Paper {
        let found: [Paper]
        do {
            found = try await withTimeLimit(arxivTimeout, on: clock) { [arxiv] in try await arxiv.papers(ids: [id]) }
        } catch is TimeLimitExceeded {
            throw Refusal.arxivTimedOut(seconds: Int(arxivTimeout.components.seconds))
        } catch let error as ArxivFetchError {
            if case .badResponse(let reason) = error, reason.contains("refused the query") { throw Refusal.unknown(id.base) }
            throw Refusal.arxivUnavailable(error.description)
        }
        guard let paper = found.first(where: { $0.id == id.base }) else { throw Refusal.unknown(id.base) }
        return paper
    }
}

public struct TimeLimitExceeded: Error {}

/// `work`'s result, or `TimeLimitExceeded` once `limit` has passed on `clock`; `work` is
/// cancelled then (the HTTP client and its back-off sleeps stop on cancellation).
public func withTimeLimit<T: Sendable>(
    _ limit: Duration,
    on clock: any WallClock = SystemClock(),
    _ work: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await clock.sleep(for: limit)
            throw TimeLimitExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
