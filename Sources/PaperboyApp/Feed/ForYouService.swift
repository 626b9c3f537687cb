import PaperboyCore
import PaperboyStore

/// "For you": recent papers nearest to the embeddings of a reader's upvotes, leaving out what
/// the reader upvoted or was already sent in a digest.
public struct ForYouService: Sendable {
    let store: any AccountStore & PaperStore & DigestStore
    let engine: SearchEngine
    /// How far back "recent" reaches, from the latest feed day.
    var recentDays = 30

    public init(store: any AccountStore & PaperStore & DigestStore, engine: SearchEngine) {
        self.store = store
        self.engine = engine
    }

    public struct Pick: Sendable {
        public var paper: Paper
        /// The upvoted paper this one is near.
        public var becauseID: String
        public var becauseTitle: String
    }

    public struct Picks: Sendable {
        public var picks: [Pick]
        /// Whether the reader has upvoted anything yet (the empty page says what to do).
        public var hasUpvotes: Bool
    }

    public func picks(for reader: Reader, limit: Int = 30) async throws -> Picks {
        let upvoted = try await store.upvotedPapers(by: reader.id, limit: 200)
        let latest = try await store.latestFeedDay()
        var seen = Set(upvoted.map(\.id))
        if let subscriber = try await store.subscriber(forUser: reader.id, email: reader.email) {
            seen.formUnion(try await store.sentPaperIDs(subscriberIDs: [subscriber.id])[subscriber.id] ?? [])
        }
        let ranked = engine.recommendations(
            forUpvoted: upvoted.map(\.id),
            excluding: seen,
            since: latest?.adding(days: -recentDays),
            limit: limit
        )
        let papers = try await store.papers(ids: ranked.map(\.id))
        let titles = Dictionary(upvoted.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        let because = Dictionary(ranked.map { ($0.id, $0.because) }, uniquingKeysWith: { first, _ in first })
        let picks = papers.map { paper in
            let source = because[paper.id] ?? ""
            return Pick(paper: paper, becauseID: source, becauseTitle: titles[source] ?? source)
        }
        return Picks(picks: picks, hasUpvotes: !upvoted.isEmpty)
    }
}
