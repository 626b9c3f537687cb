import Foundation
import Logging
import PaperboyCore
import PaperboySearch
import PaperboyStore
import Synchronization

/// Filters a reader can put on a search.
public struct SearchFilters: Sendable, Equatable {
    /// Published on or after / on or before these days (inclusive).
    public var from: FeedDay?
    public var to: FeedDay?
    /// An arXiv category such as `cs.CL`.
    public var category: String?

    public init(from: FeedDay? = nil, to: FeedDay? = nil, category: String? = nil) {
        self.from = from
        self.to = to
        self.category = category
    }

    public var isEmpty: Bool { from == nil && to == nil && category == nil }
}

/// Lexical, dense or hybrid: the ranker's modes (`HybridRanker`, shared with `paperboy eval`).
public typealias SearchMode = HybridRanker.Mode

public struct SearchHit: Sendable, Equatable {
    public var id: String
    public var score: Float
}

/// Every paper in memory for ranking: BM25 index, embeddings, title suggestions and the
/// fields filters need. SQLite stays the source of truth; this is rebuilt at start-up and
/// brought up to date from the store's revisions.
///
/// Readers take a snapshot (a copy of the value types, which shares their storage) and rank
/// without holding the lock; the single writer updates a copy and swaps it in.
public final class SearchEngine: Sendable {
    struct Indexes: Sendable {
        var lexical = LexicalIndex()
        var dense: DenseIndex
        var suggester = Suggester()
        /// Filter fields by lexical and by dense internal id.
        var lexicalFields: [PaperFields] = []
        var denseFields: [PaperFields] = []
        var categoryIDs: [String: UInt16] = [:]
        /// Every distinct list of categories once: papers with the same ones share it (at a
        /// million papers, an array each would be about 50 MB).
        var categoryLists: [[UInt16]: [UInt16]] = [:]
        var position = RevisionPosition(revision: -1)
        /// How far into the store's embedding feed the dense index has loaded (nil: the store
        /// has no feed).
        var embeddingPosition: RevisionPosition?
    }

    struct PaperFields: Sendable {
        static let unknownDay = Int32.min
        var publishedDay: Int32
        var categories: [UInt16]
    }

    /// How many candidates each retriever contributes before fusion (the fusion weights were
    /// tuned at this depth).
    public static let candidateDepth = 100

    let store: any PaperStore
    public let embedder: (any TextEmbedder)?
    let logger: Logger
    private let state: Mutex<Indexes>
    /// Serialises writers (load, refresh, embeddings) without blocking readers.
    private let writer = Mutex(())
    /// Whether the dense index's clusters are being trained (`scheduleClustering`).
    private let clustering = Mutex(false)
    /// Embeddings of recent queries: a repeated query costs a lookup instead of a forward pass.
    let queryVectors = QueryVectorCache()
    /// Where the index is kept between runs (`SearchEngine+IndexFile.swift`); nil: nowhere.
    public let indexFile: String?
    private let loadedFrom = Mutex<LoadSource?>(nil)
    /// The positions the index file holds, as last read or written (nil: no file yet).
    let filePositions = Mutex<FilePositions?>(nil)

    struct FilePositions: Equatable {
        var position: RevisionPosition
        var embeddingPosition: RevisionPosition?
        /// Clusters trained later (as the index grew) are written again too: otherwise the
        /// next start would train them once more.
        var clusterTrainingSize: Int

        init(_ indexes: Indexes) {
            position = indexes.position
            embeddingPosition = indexes.embeddingPosition
            clusterTrainingSize = indexes.dense.clusterTrainingSize
        }
    }

    public init(store: any PaperStore, embedder: (any TextEmbedder)?, indexFile: String? = nil, logger: Logger) {
        self.store = store
        self.embedder = embedder
        self.indexFile = indexFile
        self.logger = logger
        self.state = Mutex(Indexes(dense: DenseIndex(dimension: embedder?.dimension ?? 384)))
    }

    var snapshot: Indexes { state.withLock { $0 } }

    public var paperCount: Int { snapshot.lexical.count }
    /// How far into the store's revisions the index has loaded.
    public var position: RevisionPosition { snapshot.position }
    public var embeddedCount: Int { snapshot.dense.count }
    /// Clusters the dense index searches through, 0 while it scans every vector.
    public var clusterCount: Int { snapshot.dense.clusterCount }
    public var passageCount: Int { snapshot.dense.passageCount }
    /// How far into the store's embeddings the index has loaded (nil: the store has no feed).
    public var embeddingPosition: RevisionPosition? { snapshot.embeddingPosition }
    /// Where the last `load()` found the index; nil before one.
    public var loadSource: LoadSource? { loadedFrom.withLock { $0 } }

    // MARK: - Building and updating

    /// Loads the index, from the index file when there is a usable one (then only what changed
    /// since it was written comes from the store), else from every paper and stored embedding.
    /// Returns the number of papers indexed.
    @discardableResult
    public func load() async throws -> Int {
        let started = ContinuousClock.now
        let source: LoadSource
        if let indexFile, let indexSource = store as? any SearchIndexSource,
            let restored = await readIndexFile(indexFile, source: indexSource)
        {
            writer.withLock { _ in state.withLock { $0 = restored } }
            filePositions.withLock { $0 = FilePositions(restored) }
            source = .file
        } else {
            try await build()
            source = .store
        }
        let idsBefore = snapshot.lexical.internalIDLimit
        // What was committed since the file was written, or while the build read the store.
        try await refresh()
        try await catchUpEmbeddings()
        loadedFrom.withLock { $0 = source }
        if snapshot.dense.needsClustering { scheduleClustering() }
        #if os(Linux)
        // Building copies the indexes a few times; hand the freed pages back to the system.
        _ = paperboy_malloc_trim(0)
        #endif
        let indexes = snapshot
        logger.info(
            "search index loaded",
            metadata: [
                "from": "\(source.rawValue)", "papers": "\(indexes.lexical.count)", "embeddings": "\(indexes.dense.count)",
                "papers_since_file": "\(source == .file ? indexes.lexical.internalIDLimit - idsBefore : 0)",
                "seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).seconds))",
            ]
        )
        return indexes.lexical.count
    }

    /// Builds the index from every paper and embedding in the store.
    private func build() async throws {
        // Read before loading: embeddings saved while this loads are read again afterwards.
        let embeddingStart = try await (store as? any EmbeddingFeed)?.embeddingPosition()
        try await refresh()
        if let embedder {
            // Built privately and swapped in once: adding page by page to the shared index
            // would copy all of it (copy-on-write against readers' snapshots) for every page.
            var dense = DenseIndex(dimension: embedder.dimension)
            var cursor: String?
            while true {
                let page = try await store.embeddings(model: embedder.modelName, after: cursor, limit: 2000)
                guard let last = page.last else { break }
                for embedding in page {
                    dense.upsert(id: embedding.paperID, vector: embedding.vector, passages: embedding.passages ?? [])
                }
                cursor = last.paperID
            }
            if dense.clusterIfLarge() {
                logger.info("dense index clustered", metadata: ["vectors": "\(dense.count)", "clusters": "\(dense.clusterCount)"])
            }
            install(dense)
        }
        writer.withLock { _ in state.withLock { $0.embeddingPosition = embeddingStart } }
    }

    /// Adds the embeddings saved (by this process or any other) since the index last read the
    /// store's embedding feed; nothing when the store has none.
    public func catchUpEmbeddings() async throws {
        guard embedder != nil, let feed = store as? any EmbeddingFeed, let position = snapshot.embeddingPosition else { return }
        let reached = try await addEmbeddings(from: feed, after: position)
        guard reached != position else { return }
        writer.withLock { _ in state.withLock { $0.embeddingPosition = reached } }
    }

    /// Indexes the papers written since the last load or refresh.
    public func refresh() async throws {
        var position = snapshot.position
        var changed: [Paper] = []
        while true {
            let page = try await store.papers(after: position, limit: 5000)
            guard let last = page.last else { break }
            changed += page.map(\.paper)
            position = last.position
        }
        // One update for everything: each update copies the indexes once.
        guard !changed.isEmpty else { return }
        apply(changed, position: position)
    }

    func apply(_ papers: [Paper], position: RevisionPosition) {
        writer.withLock { _ in
            var indexes = snapshot
            indexes.position = position
            let documents = papers.map {
                SearchDocument(id: $0.id, title: $0.title, abstract: $0.summary, authors: $0.authors)
            }
            if indexes.lexical.count == 0 {
                indexes.lexical = LexicalIndex(documents: documents)  // the bulk build is faster
            } else {
                indexes.lexical.upsert(contentsOf: documents)
            }
            indexes.suggester.upsert(contentsOf: papers.map { ($0.id, $0.title, Float($0.totalUpvotes)) })
            for paper in papers {
                let fields = PaperFields(
                    publishedDay: paper.publishedDay.map { Int32($0.daysSinceEpoch) } ?? PaperFields.unknownDay,
                    categories: indexes.interned(paper.categories.map { indexes.categoryID($0) })
                )
                if let doc = indexes.lexical.internalID(of: paper.id) {
                    indexes.lexicalFields.set(Int(doc), fields)
                }
                if let doc = indexes.dense.internalID(of: paper.id) {
                    indexes.denseFields.set(Int(doc), fields)
                }
            }
            state.withLock { $0 = indexes }
        }
    }

    /// Replaces the dense index, for `load`.
    func install(_ dense: DenseIndex) {
        writer.withLock { _ in
            var indexes = snapshot
            indexes.dense = dense
            indexes.rebuildDenseFields()
            state.withLock { $0 = indexes }
        }
    }

    /// Adds the embeddings saved after `position` (by any node); returns the position after
    /// the last one.
    public func addEmbeddings(from feed: any EmbeddingFeed, after position: RevisionPosition) async throws -> RevisionPosition {
        guard let embedder else { return position }
        var position = position
        while true {
            let page = try await feed.embeddings(model: embedder.modelName, after: position, limit: 2000)
            guard !page.embeddings.isEmpty else { return position }
            addEmbeddings(page.embeddings)
            position = page.position
        }
    }

    /// Adds (or replaces) paper embeddings in the dense index.
    public func addEmbeddings(_ embeddings: [PaperEmbedding]) {
        writer.withLock { _ in
            var indexes = snapshot
            for embedding in embeddings
            where indexes.dense.upsert(id: embedding.paperID, vector: embedding.vector, passages: embedding.passages ?? []) {
                if let doc = indexes.dense.internalID(of: embedding.paperID), let fields = indexes.fields(of: embedding.paperID) {
                    indexes.denseFields.set(Int(doc), fields)
                }
            }
            state.withLock { $0 = indexes }
        }
        if snapshot.dense.needsClustering { scheduleClustering() }
    }

    /// Trains the dense index's clusters on a snapshot, on a background thread, then adopts
    /// them: searches and writers go on meanwhile (training takes seconds at a million).
    private func scheduleClustering() {
        let claimed = clustering.withLock { running in
            defer { running = true }
            return !running
        }
        guard claimed else { return }
        DispatchQueue.global(qos: .utility).async { [self] in
            defer { clustering.withLock { $0 = false } }
            let base = snapshot.dense
            guard base.needsClustering else { return }
            let started = ContinuousClock.now
            let trained = base.trainedClusters()
            writer.withLock { _ in
                var indexes = snapshot
                indexes.dense.adopt(trained)
                state.withLock { $0 = indexes }
            }
            logger.info(
                "dense index clustered",
                metadata: [
                    "vectors": "\(base.count)", "clusters": "\(trained.count)",
                    "seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).seconds))",
                ]
            )
        }
    }

    // MARK: - Queries

    /// Ranked paper ids. `hybrid` falls back to lexical while no embeddings exist.
    public func search(
        _ query: String,
        mode: SearchMode = .hybrid,
        filters: SearchFilters = SearchFilters(),
        limit: Int,
        offset: Int = 0
    ) -> [SearchHit] {
        let indexes = snapshot
        let depth = max(Self.candidateDepth, offset + limit)
        let lexicalFilter = indexes.filter(filters, fields: \.lexicalFields)
        let denseFilter = indexes.filter(filters, fields: \.denseFields)
        if filters.category != nil && indexes.categoryIDs[filters.category!] == nil { return [] }

        let ranked = HybridRanker.rank(
            query,
            mode: mode,
            lexical: indexes.lexical,
            dense: indexes.dense,
            depth: depth,
            lexicalFilter: lexicalFilter,
            denseFilter: denseFilter
        ) { queryVector(query) }
        return ranked.dropFirst(offset).prefix(limit).map { SearchHit(id: $0.id, score: $0.score) }
    }

    /// Whether ranking `query` in `mode` embeds it (dense or hybrid with vectors to compare).
    public func ranksWithEmbeddings(_ mode: SearchMode) -> Bool {
        mode != .lexical && embedder != nil && embeddedCount > 0
    }

    /// The query's embedding, from the cache when it was asked recently.
    func queryVector(_ query: String) -> [Float]? {
        guard let embedder else { return nil }
        if let cached = queryVectors.vector(for: query) { return cached }
        let vector = embedder.embed(query)
        queryVectors.store(vector, for: query)
        return vector
    }

    /// Nearest neighbours of a paper by embedding, or by its words when it has none yet.
    public func related(to paper: Paper, limit: Int) -> [SearchHit] {
        let indexes = snapshot
        if let doc = indexes.dense.internalID(of: paper.id) {
            let vector = indexes.dense.vector(of: doc)
            return indexes.dense.search(vector, k: limit + 1, filter: { $0 != doc })
                .prefix(limit).map { SearchHit(id: indexes.dense.externalID(of: $0.doc), score: $0.score) }
        }
        let document = SearchDocument(id: paper.id, title: paper.title, abstract: paper.summary, authors: paper.authors)
        let own = indexes.lexical.internalID(of: paper.id)
        return indexes.lexical.related(to: document, k: limit, filter: { $0 != own })
            .map { SearchHit(id: indexes.lexical.externalID(of: $0.doc), score: $0.score) }
    }

    /// Papers near a reader's upvoted papers: the top `limit` by cosine to the mean of their
    /// embeddings, among papers published on or after `since`, never one in `excluding`. Each
    /// comes with the upvoted paper it is closest to ("because you upvoted …"). Empty when
    /// none of the upvoted papers has an embedding yet.
    public func recommendations(
        forUpvoted upvoted: [String],
        excluding: Set<String>,
        since: FeedDay?,
        limit: Int
    )
        -> [(id: String, because: String, score: Float)]
    {
        let indexes = snapshot
        let liked = upvoted.compactMap { id in indexes.dense.internalID(of: id).map { (id, indexes.dense.vector(of: $0)) } }
        guard let dimension = liked.first?.1.count else { return [] }
        var centroid = [Float](repeating: 0, count: dimension)
        for (_, vector) in liked { for i in 0..<dimension { centroid[i] += vector[i] } }
        let sinceDay = since.map { Int32($0.daysSinceEpoch) }
        let excludedDocs = Set(excluding.compactMap { indexes.dense.internalID(of: $0) })
        let fields = indexes.denseFields
        let hits = indexes.dense.search(centroid, k: limit) { doc in
            guard !excludedDocs.contains(doc) else { return false }
            guard let sinceDay else { return true }
            return Int(doc) < fields.count && fields[Int(doc)].publishedDay != PaperFields.unknownDay
                && fields[Int(doc)].publishedDay >= sinceDay
        }
        return hits.map { hit in
            let vector = indexes.dense.vector(of: hit.doc)
            let closest = liked.max { a, b in zip(a.1, vector).reduce(0) { $0 + $1.0 * $1.1 } < zip(b.1, vector).reduce(0) { $0 + $1.0 * $1.1 } }
            return (indexes.dense.externalID(of: hit.doc), closest?.0 ?? "", hit.score)
        }
    }

    /// Dense top-k for a ready query vector (benchmarks separate it from embedding the query).
    public func denseSearch(_ vector: [Float], limit: Int) -> [SearchHit] {
        let indexes = snapshot
        return indexes.dense.searchWithPassages(vector, k: limit)
            .map { SearchHit(id: indexes.dense.externalID(of: $0.doc), score: $0.score) }
    }

    public func hasEmbedding(_ id: String) -> Bool {
        snapshot.dense.internalID(of: id) != nil
    }

    public func suggest(_ prefix: String, limit: Int) -> [Suggester.Suggestion] {
        snapshot.suggester.suggest(prefix, limit: limit)
    }

    /// The analysed terms of a query, for highlighting.
    public func queryTerms(_ query: String) -> Set<String> {
        Set(snapshot.lexical.analyzer.terms(query))
    }

    public var analyzer: Analyzer { snapshot.lexical.analyzer }
}

extension SearchEngine.Indexes {
    /// The shared copy of a list of category ids.
    mutating func interned(_ categories: [UInt16]) -> [UInt16] {
        if let shared = categoryLists[categories] { return shared }
        categoryLists[categories] = categories
        return categories
    }

    /// A paper's filter fields, found through its lexical internal id.
    func fields(of id: String) -> SearchEngine.PaperFields? {
        guard let doc = lexical.internalID(of: id), Int(doc) < lexicalFields.count else { return nil }
        return lexicalFields[Int(doc)]
    }

    /// The filter fields by dense internal id, from those by lexical id.
    mutating func rebuildDenseFields() {
        denseFields = []
        for doc in 0..<Int32(min(lexical.internalIDLimit, lexicalFields.count)) {
            let id = lexical.externalID(of: doc)
            guard lexical.internalID(of: id) == doc, let dense = dense.internalID(of: id) else { continue }
            denseFields.set(Int(dense), lexicalFields[Int(doc)])
        }
    }

    mutating func categoryID(_ name: String) -> UInt16 {
        if let id = categoryIDs[name] { return id }
        let id = UInt16(truncatingIfNeeded: categoryIDs.count)
        categoryIDs[name] = id
        return id
    }

    func filter(_ filters: SearchFilters, fields: KeyPath<Self, [SearchEngine.PaperFields]>) -> ((Int32) -> Bool)? {
        guard !filters.isEmpty else { return nil }
        let table = self[keyPath: fields]
        let from = filters.from.map { Int32($0.daysSinceEpoch) }
        let to = filters.to.map { Int32($0.daysSinceEpoch) }
        let category = filters.category.flatMap { categoryIDs[$0] }
        return { doc in
            guard Int(doc) < table.count else { return false }
            let paper = table[Int(doc)]
            if let from, paper.publishedDay == SearchEngine.PaperFields.unknownDay || paper.publishedDay < from { return false }
            if let to, paper.publishedDay == SearchEngine.PaperFields.unknownDay || paper.publishedDay > to { return false }
            if let category, !paper.categories.contains(category) { return false }
            return true
        }
    }
}

extension Array where Element == SearchEngine.PaperFields {
    /// Sets the fields of an internal id, growing the table as ids are handed out.
    mutating func set(_ index: Int, _ fields: Element) {
        if index >= count {
            append(contentsOf: repeatElement(Element(publishedDay: Element.unknownDay, categories: []), count: index - count + 1))
        }
        self[index] = fields
    }
}

#if os(Linux)
/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func paperboy_malloc_trim(_ pad: Int) -> Int32
#endif
