import PaperboyCore
import PaperboyStore

/// The domain behind both the HTML pages and the JSON API: handlers only translate HTTP to
/// these calls and the results to a representation.
public struct FeedService: Sendable {
    public let store: any PaperStore
    public let clock: any WallClock
    public let trending: TrendingFormula
    public let trendingWindowDays: Int

    public init(
        store: any PaperStore,
        clock: any WallClock,
        trending: TrendingFormula = TrendingFormula(),
        trendingWindowDays: Int = 7
    ) {
        self.store = store
        self.clock = clock
        self.trending = trending
        self.trendingWindowDays = trendingWindowDays
    }

    public struct FeedPage: Sendable {
        public var period: FeedPeriod
        public var entries: [DailyEntry]
        public var neighbours: FeedNeighbours

        public init(period: FeedPeriod, entries: [DailyEntry], neighbours: FeedNeighbours) {
            self.period = period
            self.entries = entries
            self.neighbours = neighbours
        }
    }

    /// The papers of a day, week or month, most upvoted first.
    public func feed(for period: FeedPeriod) async throws -> FeedPage {
        let days = period.days
        async let entries = store.feedEntries(FeedQuery(days: days, order: .upvotes, limit: 1000))
        async let neighbours = store.neighbours(of: days)
        return FeedPage(period: period, entries: try await entries, neighbours: try await neighbours)
    }

    /// The latest feed day, or nil when nothing was imported yet.
    public func latestDay() async throws -> FeedDay? {
        try await store.latestFeedDay()
    }

    /// The latest feed day with papers on or before `day` (digests for a date use the feed as
    /// it stood then).
    public func latestDay(onOrBefore day: FeedDay) async throws -> FeedDay? {
        guard let latest = try await store.latestFeedDay() else { return nil }
        if latest <= day { return latest }
        if try await !store.feedEntries(FeedQuery(days: day...day, limit: 1)).isEmpty { return day }
        return try await store.neighbours(of: day...day).before
    }

    public struct PaperDetail: Sendable {
        public var paper: Paper
        public var featuredDays: [FeedDay]
        /// The most recent feed entry (submitter, comments), when the paper was featured.
        public var latestEntry: DailyEntry?
        /// Hidden by an editor (only shown when asked for with `includingHidden`).
        public var hidden = false
    }

    /// A paper and where it was featured. A paper an editor hid is not found, unless
    /// `includingHidden` (an admin looking).
    public func paper(id: String, includingHidden: Bool = false) async throws -> PaperDetail {
        guard let arxivID = ArxivID(id) else {
            throw DomainError.notFound("“\(id.prefix(80))” is not an arXiv id.")
        }
        var hidden = false
        var found = try await store.papers(ids: [arxivID.base]).first
        if found == nil, includingHidden, let stored = try await store.paper(id: arxivID.base) {
            found = stored
            hidden = true
        }
        guard let paper = found else {
            throw DomainError.notFound("No paper \(arxivID.base) here yet.")
        }
        let days = try await store.featuredDays(of: paper.id)
        var latestEntry: DailyEntry?
        if let last = days.last {
            latestEntry = try await store.feedEntries(FeedQuery(days: last...last, limit: 1000))
                .first { $0.paper.id == paper.id }
        }
        return PaperDetail(paper: paper, featuredDays: days, latestEntry: latestEntry, hidden: hidden)
    }

    /// Entries ranked by `TrendingFormula`; by default over the last `trendingWindowDays`
    /// feed days ending at the latest one (an archive that stopped updating still trends).
    public func trendingEntries(
        in days: ClosedRange<FeedDay>? = nil,
        limit: Int,
        offset: Int = 0
    ) async throws
        -> [(entry: DailyEntry, score: Double)]
    {
        let range: ClosedRange<FeedDay>
        if let days {
            range = days
        } else {
            guard let latest = try await store.latestFeedDay() else { return [] }
            range = latest.adding(days: 1 - trendingWindowDays)...latest
        }
        let candidates = try await store.feedEntries(FeedQuery(days: range, order: .upvotes, limit: 5000))
        return rankTrending(candidates).dropFirst(offset).prefix(limit).map { $0 }
    }

    func rankTrending(_ entries: [DailyEntry]) -> [(entry: DailyEntry, score: Double)] {
        let now = clock.now
        return entries.map { entry in
            (entry, trending.score(upvotes: entry.paper.totalUpvotes, featuredAt: entry.day.startTimestamp, now: now))
        }
        .sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry.paper.id < $1.entry.paper.id }
    }

    /// The query behind `GET /api/daily_papers`, already validated.
    public struct DailyPapersQuery: Sendable, Equatable {
        public enum Sort: String, Sendable { case publishedAt, trending }
        public var period: FeedPeriod?
        public var submitter: String?
        public var sort: Sort = .publishedAt
        public var page = 0
        public var limit = 50

        public init(period: FeedPeriod? = nil, submitter: String? = nil, sort: Sort = .publishedAt, page: Int = 0, limit: Int = 50) {
            self.period = period
            self.submitter = submitter
            self.sort = sort
            self.page = page
            self.limit = limit
        }
    }

    public func dailyPapers(_ query: DailyPapersQuery) async throws -> [DailyEntry] {
        let offset = query.page * query.limit
        switch query.sort {
        case .trending where query.submitter == nil:
            return try await trendingEntries(in: query.period?.days, limit: query.limit, offset: offset).map(\.entry)
        case .trending:
            let all = try await store.feedEntries(
                FeedQuery(days: query.period?.days, submitter: query.submitter, order: .upvotes, limit: 5000)
            )
            return rankTrending(all).dropFirst(offset).prefix(query.limit).map(\.entry)
        case .publishedAt:
            return try await store.feedEntries(
                FeedQuery(
                    days: query.period?.days,
                    submitter: query.submitter,
                    order: .newest,
                    limit: query.limit,
                    offset: offset
                )
            )
        }
    }

    /// An organisation and its papers, newest published first.
    public func organization(named name: String, limit: Int = 200) async throws -> (organization: Organization, papers: [Paper]) {
        let papers = try await store.papers(ofOrganization: name, limit: limit)
        guard let organization = papers.first?.organization else {
            throw DomainError.notFound("No paper of an organisation named “\(name.prefix(80))” is in Paperboy.")
        }
        return (organization, papers)
    }

    public func listPapers(after cursor: String?, limit: Int) async throws -> [Paper] {
        try await store.papers(after: cursor, limit: limit)
    }
}
