import PaperboyCore
import PaperboySearch
import PaperboyStore

/// Search as the pages and the API use it: arXiv ids go straight to the paper, everything
/// else is ranked by the engine and resolved to papers from the store.
public struct SearchService: Sendable {
    public let engine: SearchEngine
    let store: any PaperStore
    /// Rankings that embed the query run through here; lexical ones are cheap and do not.
    let admission: SearchAdmission
    let metrics: AppMetrics

    public init(
        engine: SearchEngine,
        store: any PaperStore,
        admission: SearchAdmission = SearchAdmission(),
        metrics: AppMetrics = AppMetrics()
    ) {
        self.engine = engine
        self.store = store
        self.admission = admission
        self.metrics = metrics
    }

    public struct Results: Sendable {
        public var query: String
        public var papers: [(paper: Paper, score: Float)]
        public var page: Int
        public var hasMore: Bool
        /// Query terms after analysis, for highlighting.
        public var terms: Set<String>
    }

    public enum Outcome: Sendable {
        /// The query named a paper we have (an arXiv id or URL).
        case paper(id: String)
        case results(Results)
    }

    /// Longest query we rank; a pasted page of text is cut here rather than refused.
    public static let longestQuery = 2000

    public func search(
        _ rawQuery: String,
        filters: SearchFilters = SearchFilters(),
        mode: SearchMode = .hybrid,
        page: Int = 0,
        perPage: Int = 20
    ) async throws -> Outcome {
        let query = String(rawQuery.trimmingWhitespace().prefix(Self.longestQuery))
        // `papers(ids:)`, not `paper(id:)`: a paper an editor hid is not a search result.
        if let id = ArxivID(query), let paper = try await store.papers(ids: [id.base]).first {
            return .paper(id: paper.id)
        }
        guard !query.isEmpty else {
            return .results(Results(query: "", papers: [], page: page, hasMore: false, terms: []))
        }
        let started = ContinuousClock.now
        let hits: [SearchHit]
        if engine.ranksWithEmbeddings(mode) {
            // Off the request threads: a forward pass takes milliseconds of CPU.
            hits = try await admission.run { [engine] in
                await onComputeThread(qos: .userInitiated) {
                    engine.search(query, mode: mode, filters: filters, limit: perPage + 1, offset: page * perPage)
                }
            }
        } else {
            hits = engine.search(query, mode: mode, filters: filters, limit: perPage + 1, offset: page * perPage)
        }
        metrics.recordSearch(mode, duration: .now - started)
        let shown = Array(hits.prefix(perPage))
        let papers = try await store.papers(ids: shown.map(\.id))
        let scores = Dictionary(shown.map { ($0.id, $0.score) }, uniquingKeysWith: { first, _ in first })
        return .results(
            Results(
                query: query,
                papers: papers.map { ($0, scores[$0.id] ?? 0) },
                page: page,
                hasMore: hits.count > perPage,
                terms: engine.queryTerms(query)
            )
        )
    }

    /// Papers nearest to `paper`, best first, never the paper itself.
    public func related(to paper: Paper, limit: Int) async throws -> [Paper] {
        try await store.papers(ids: engine.related(to: paper, limit: limit).map(\.id))
    }

    /// A paper whose title starts with what was typed.
    public struct TitleSuggestion: Sendable, Equatable {
        public var id: String
        public var title: String
    }

    /// Titles starting with `prefix`, best first, as the store has them; papers an editor hid
    /// are left out (the in-memory suggester still holds them, so a few more are asked for).
    public func suggest(_ prefix: String, limit: Int) async throws -> [TitleSuggestion] {
        let candidates = engine.suggest(String(prefix.prefix(250)), limit: limit + 5)
        guard !candidates.isEmpty else { return [] }
        let titles = Dictionary(
            try await store.papers(ids: candidates.map(\.id)).map { ($0.id, $0.title) },
            uniquingKeysWith: { first, _ in first }
        )
        return Array(candidates.compactMap { candidate in titles[candidate.id].map { TitleSuggestion(id: candidate.id, title: $0) } }.prefix(limit))
    }
}
