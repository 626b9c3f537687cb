import PaperboyCore

/// Everything the application asks of persistence. SQLite is the default implementation;
/// a PostgreSQL one can follow without touching the web layer.
///
/// Each write method runs in one transaction: it either lands whole or not at all.
public protocol PaperStore: Sendable {
    /// Stores one feed day's capture, each entry with its raw item and position when it has
    /// them. Importing the same capture again changes nothing; a later capture of the day
    /// updates upvotes, comment counts and the raw items.
    func importFeedDay(_ day: FeedDay, entries: [DailyEntry]) async throws -> ImportCounts

    /// Adds arXiv listing records; known papers only gain what the store lacked (categories).
    func importArxivPapers(_ papers: [Paper]) async throws -> ImportCounts

    func paper(id: String) async throws -> Paper?

    /// The papers with these ids, in the order given; unknown and hidden ones are left out
    /// (search results, related papers, picks and digests resolve their papers here).
    func papers(ids: [String]) async throws -> [Paper]

    /// The papers of an organisation (Hugging Face's `organization` name, exactly), newest
    /// published first; hidden ones are left out.
    func papers(ofOrganization name: String, limit: Int) async throws -> [Paper]

    /// Whether an entry captured from Hugging Face names this submitter, whatever the case.
    func hasImportedSubmitter(named name: String) async throws -> Bool

    /// The feed days a paper was featured on, oldest first; days whose entry is hidden are left out.
    func featuredDays(of paperID: String) async throws -> [FeedDay]

    /// Feed entries matching a query; a paper featured on several days of the range appears
    /// once, with its latest day. Hidden entries and hidden papers are left out (`CurationStore`),
    /// here and in `latestFeedDay` and `neighbours`.
    func feedEntries(_ query: FeedQuery) async throws -> [DailyEntry]

    func latestFeedDay() async throws -> FeedDay?

    /// The nearest feed days with papers before and after a range, for previous/next links.
    func neighbours(of days: ClosedRange<FeedDay>) async throws -> FeedNeighbours

    /// All papers but hidden ones, ordered by id, after `cursor` (exclusive): keyset pagination.
    func papers(after cursor: String?, limit: Int) async throws -> [Paper]

    /// What the database holds, hidden papers and entries included.
    func statistics() async throws -> StoreStatistics

    /// Bytes the database takes on disk now (for SQLite the file and its write-ahead log).
    func storageSize() async throws -> Int

    /// A number that grows with every committed write, from any process: caches compare it.
    func changeCounter() async throws -> Int

    // MARK: Search support

    /// Papers in (revision, id) order after `position`: what an in-memory index must (re)load.
    /// Start with `RevisionPosition(revision: r)` for everything written after revision r,
    /// then pass the position of the last paper received.
    func papers(after position: RevisionPosition, limit: Int) async throws -> [RevisedPaper]

    /// Papers that have no embedding for `model` yet, or no passage embeddings.
    func papersWithoutEmbedding(model: String, limit: Int) async throws -> [Paper]

    /// Stores embeddings (replacing older ones) in one transaction.
    func saveEmbeddings(_ embeddings: [PaperEmbedding], model: String) async throws

    /// Embeddings for `model`, in paper id order after `cursor`.
    func embeddings(model: String, after cursor: String?, limit: Int) async throws -> [PaperEmbedding]

    func embeddingCount(model: String) async throws -> Int

    /// Deletes every embedding of `model` (for a full recompute).
    func deleteEmbeddings(model: String) async throws
}

public struct RevisedPaper: Sendable {
    public var paper: Paper
    public var revision: Int

    public init(paper: Paper, revision: Int) {
        self.paper = paper
        self.revision = revision
    }

    public var position: RevisionPosition { RevisionPosition(revision: revision, id: paper.id) }
}

public struct RevisionPosition: Sendable, Equatable {
    public var revision: Int
    /// nil: after every paper of `revision`.
    public var id: String?

    public init(revision: Int, id: String? = nil) {
        self.revision = revision
        self.id = id
    }
}

public struct PaperEmbedding: Sendable, Equatable {
    public var paperID: String
    /// The whole paper (title and abstract).
    public var vector: [Float]
    /// One per sentence of the abstract (`Passages.texts`); nil when they were never computed
    /// (papers embedded before migration 006). Stored at 8 bits per component, so what is read
    /// back is within 1/254 of the largest component of what was written.
    public var passages: [[Float]]?

    public init(paperID: String, vector: [Float], passages: [[Float]]? = nil) {
        self.paperID = paperID
        self.vector = vector
        self.passages = passages
    }
}

public struct FeedQuery: Sendable, Equatable {
    public enum Order: Sendable, Equatable {
        /// Most upvoted first. A captured entry counts the upvotes captured for its day, plus
        /// local votes; equal counts keep the capture's order (`DailyEntry.position`).
        case upvotes
        /// Latest feed day first, then as `upvotes` within a day.
        case newest
    }

    public var days: ClosedRange<FeedDay>?
    public var submitter: String?
    public var order: Order
    public var limit: Int
    public var offset: Int

    public init(
        days: ClosedRange<FeedDay>? = nil,
        submitter: String? = nil,
        order: Order = .upvotes,
        limit: Int = 50,
        offset: Int = 0
    ) {
        self.days = days
        self.submitter = submitter
        self.order = order
        self.limit = limit
        self.offset = offset
    }
}

public struct FeedNeighbours: Sendable, Equatable {
    public var before: FeedDay?
    public var after: FeedDay?

    public init(before: FeedDay?, after: FeedDay?) {
        self.before = before
        self.after = after
    }
}

public struct StoreStatistics: Sendable, Equatable {
    public var papers: Int
    public var feedDays: Int
    public var entries: Int

    public init(papers: Int, feedDays: Int, entries: Int) {
        self.papers = papers
        self.feedDays = feedDays
        self.entries = entries
    }
}

/// Failures of the store that callers can act on; each message is one line for a person.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open database \(path): \(reason)"
        }
    }
}
