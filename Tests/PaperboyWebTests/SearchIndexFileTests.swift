import Foundation
import Logging
import PaperboyApp
import PaperboyCore
import PaperboySearch
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

/// The search index kept in a file between runs: a start reads it, then loads from the store
/// only what was committed since; a file of another database or model is not used.
@Suite struct SearchIndexFileTests {
    /// Vectors from the words of a text (hashed into 16 dimensions): similar texts, similar
    /// vectors, with no model to load.
    struct WordHashEmbedder: TextEmbedder {
        var modelName = "word-hash"
        let dimension = 16

        func embed(_ text: String) -> [Float] {
            var vector = [Float](repeating: 0.01, count: dimension)
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) {
                vector[Int(word.unicodeScalars.reduce(UInt32(7)) { $0 &* 31 &+ $1.value } % UInt32(dimension))] += 1
            }
            return vector
        }

        func embed(batch: [String]) -> [[Float]] { batch.map(embed) }
    }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let words = ["graph", "neural", "protein", "diffusion", "language", "robot", "quantum", "privacy", "vision", "speech"]

    static func paper(_ i: Int) -> Paper {
        let topic = words[i % words.count]
        let other = words[(i * 7 + 3) % words.count]
        return Paper(
            id: "2401.\(String(format: "%05d", i))",
            title: "\(topic.capitalized) methods number \(i)",
            summary: "We study \(topic) and \(other). Our \(topic) model is fast.",
            authors: ["Author \(i % 5)"],
            publishedAt: "2024-01-\(String(format: "%02d", 1 + i % 28))T00:00:00.000Z",
            categories: [i % 2 == 0 ? "cs.LG" : "cs.CL"],
            source: .huggingFace
        )
    }

    static func add(_ papers: [Paper], to store: any AppStore) async throws {
        let day = FeedDay("2024-05-28")!
        _ = try await store.importFeedDay(day, entries: papers.map { DailyEntry(day: day, paper: $0, upvotes: 1) })
    }

    static func embed(_ papers: [Paper], into store: any AppStore, embedder: any TextEmbedder) async throws {
        try await store.saveEmbeddings(paperEmbeddings(papers, embedder: embedder), model: embedder.modelName)
    }

    static func withStore(_ body: (any AppStore, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
        try await body(store, directory)
    }

    static let queries = ["graph neural", "protein", "quantum privacy", "robot speech", "author 3", "diffusion language"]

    static func results(_ engine: SearchEngine) -> [[SearchHit]] {
        queries.flatMap { query in
            [
                engine.search(query, mode: .lexical, limit: 10), engine.search(query, mode: .dense, limit: 10),
                engine.search(query, mode: .hybrid, limit: 10),
                engine.search(query, mode: .hybrid, filters: SearchFilters(category: "cs.CL"), limit: 10),
                engine.search(query, mode: .lexical, filters: SearchFilters(from: FeedDay("2024-01-10")!), limit: 10),
            ]
        }
    }

    @Test func aRestartReadsTheFileAndLoadsOnlyWhatChangedSince() async throws {
        try await Self.withStore(Self.restart)
    }

    @Test(.enabled(if: PostgresCluster.available || PostgresCluster.required))
    func aPostgresNodeRestartsFromItsFileToo() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(url)
        try await Self.restart(store, directory)
        await store.close()
    }

    /// Loads until the engine holds `count` embeddings and `papers` papers: on PostgreSQL a
    /// commit becomes visible to readers of revisions once every older transaction (of any
    /// test) has finished.
    static func catchUp(_ engine: SearchEngine, to count: Int, papers: Int? = nil) async throws {
        for _ in 0..<1000 where engine.embeddedCount < count || engine.paperCount < papers ?? 0 {
            try await Task.sleep(for: .milliseconds(10))
            try await engine.refresh()
            try await engine.catchUpEmbeddings()
        }
    }

    static func restart(_ store: any AppStore, _ directory: URL) async throws {
        do {
            let path = directory.appendingPathComponent("index").path
            let embedder = WordHashEmbedder()
            let first = (0..<60).map(Self.paper)
            try await Self.add(first, to: store)
            try await Self.embed(Array(first.prefix(50)), into: store, embedder: embedder)

            let engine = SearchEngine(store: store, embedder: embedder, indexFile: path, logger: Self.logger)
            try await engine.load()
            try await Self.catchUp(engine, to: 50, papers: 60)
            #expect(engine.loadSource == .store)
            #expect(engine.indexFileIsBehind)
            await SearchIndexKeeper(engine: engine, path: path, logger: Self.logger).writeIfBehind()
            #expect(!engine.indexFileIsBehind)
            #expect(FileManager.default.fileExists(atPath: path))

            // While no server runs: new papers, a changed one, and embeddings for older papers.
            let later = (60..<80).map(Self.paper)
            try await Self.add(later, to: store)
            var changed = Self.paper(3)
            changed.title = "Quantum teleportation revisited"
            try await Self.add([changed], to: store)
            // (Saving the changed paper dropped its embedding; the backfill would embed it again.)
            try await Self.embed(Array(first.suffix(10)) + later + [changed], into: store, embedder: embedder)

            let restarted = SearchEngine(store: store, embedder: embedder, indexFile: path, logger: Self.logger)
            try await restarted.load()
            try await Self.catchUp(restarted, to: 80, papers: 80)
            #expect(restarted.loadSource == .file)
            #expect(restarted.paperCount == 80)
            #expect(restarted.embeddedCount == 80)
            #expect(restarted.search("teleportation", mode: .lexical, limit: 5).first?.id == changed.id)

            // The same answers as the first engine, had it kept running and caught up.
            try await engine.refresh()
            try await Self.catchUp(engine, to: 80, papers: 80)
            #expect(engine.paperCount == 80)
            #expect(Self.results(restarted) == Self.results(engine))
            #expect(restarted.suggest("quantum tele", limit: 5).map(\.id) == [changed.id])
            // And the same papers as an index built from scratch (whose BM25 statistics come
            // from one bulk build, so scores differ in the last digits).
            let rebuilt = SearchEngine(store: store, embedder: embedder, logger: Self.logger)
            try await rebuilt.load()
            try await Self.catchUp(rebuilt, to: 80, papers: 80)
            #expect(rebuilt.loadSource == .store)
            #expect(rebuilt.embeddedCount == restarted.embeddedCount)
            for query in Self.queries {
                #expect(
                    Set(restarted.search(query, mode: .hybrid, limit: 10).map(\.id)) == Set(rebuilt.search(query, mode: .hybrid, limit: 10).map(\.id))
                )
            }
        }
    }

    @Test func aFileOfAnotherDatabaseOrModelOrADamagedOneIsRebuiltFrom() async throws {
        try await Self.withStore { store, directory in
            let path = directory.appendingPathComponent("index").path
            let papers = (0..<20).map(Self.paper)
            try await Self.add(papers, to: store)
            let embedder = WordHashEmbedder()
            try await Self.embed(papers, into: store, embedder: embedder)
            let engine = SearchEngine(store: store, embedder: embedder, indexFile: path, logger: Self.logger)
            try await engine.load()
            try await engine.writeIndexFile(to: path)

            // Another model: its vectors cannot be mixed with these.
            let otherModel = SearchEngine(
                store: store,
                embedder: WordHashEmbedder(modelName: "other"),
                indexFile: path,
                logger: Self.logger
            )
            try await otherModel.load()
            #expect(otherModel.loadSource == .store)

            // Another database with the same papers.
            try await Self.withStore { otherStore, _ in
                try await Self.add(papers, to: otherStore)
                let other = SearchEngine(store: otherStore, embedder: embedder, indexFile: path, logger: Self.logger)
                try await other.load()
                #expect(other.loadSource == .store)
                #expect(other.paperCount == 20)
            }

            // A damaged file.
            var bytes = try Data(contentsOf: URL(filePath: path))
            bytes[bytes.count / 2] ^= 1
            try bytes.write(to: URL(filePath: path))
            let damaged = SearchEngine(store: store, embedder: embedder, indexFile: path, logger: Self.logger)
            try await damaged.load()
            #expect(damaged.loadSource == .store)
            #expect(damaged.paperCount == 20)
            #expect(damaged.embeddedCount == 20)
        }
    }

    @Test func aFileAheadOfTheDatabaseIsNotUsed() async throws {
        try await Self.withStore { store, directory in
            let path = directory.appendingPathComponent("index").path
            let copy = directory.appendingPathComponent("copy.sqlite").path
            try await Self.add((0..<10).map(Self.paper), to: store)
            _ = try await store.backup(to: copy)
            try await Self.add((10..<20).map(Self.paper), to: store)
            let engine = SearchEngine(store: store, embedder: nil, indexFile: path, logger: Self.logger)
            try await engine.load()
            try await engine.writeIndexFile(to: path)
            // The older copy put back in the database's place: same database, fewer revisions.
            let restored = try await StoreFactory.open(.sqlite(path: copy))
            let reopened = SearchEngine(store: restored, embedder: nil, indexFile: path, logger: Self.logger)
            try await reopened.load()
            #expect(reopened.loadSource == .store)
            #expect(reopened.paperCount == 10)
        }
    }

    /// Clusters trained in the background once the index grew large enough: the file is
    /// written again, though no revision moved, so the next start does not train them again.
    @Test func clustersTrainedAfterTheFileWasWrittenAreWrittenAgain() async throws {
        try await Self.withStore { store, directory in
            let path = directory.appendingPathComponent("index").path
            let engine = SearchEngine(store: store, embedder: WordHashEmbedder(), indexFile: path, logger: Self.logger)
            try await engine.load()
            let keeper = SearchIndexKeeper(engine: engine, path: path, logger: Self.logger)
            await keeper.writeIfBehind()
            #expect(!engine.indexFileIsBehind)

            var random = SplitMix64(seed: 15)
            engine.addEmbeddings(
                (0..<DenseIndex.clusteringThreshold).map { i in
                    PaperEmbedding(paperID: "p\(i)", vector: (0..<16).map { _ in Float.random(in: -1...1, using: &random) }, passages: nil)
                }
            )
            for _ in 0..<6000 where engine.clusterCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(engine.clusterCount > 0)
            #expect(engine.indexFileIsBehind)
            await keeper.writeIfBehind()
            #expect(!engine.indexFileIsBehind)

            let restarted = SearchEngine(store: store, embedder: WordHashEmbedder(), indexFile: path, logger: Self.logger)
            try await restarted.load()
            #expect(restarted.loadSource == .file)
            #expect(restarted.clusterCount == engine.clusterCount)
            #expect(restarted.embeddedCount == DenseIndex.clusteringThreshold)
        }
    }

    @Test func embeddingsSavedAfterAPositionComeBackInOrderOnce() async throws {
        try await Self.withStore { store, _ in
            let feed = try #require(store as? any SearchIndexSource)
            let embedder = WordHashEmbedder()
            let papers = (0..<6).map(Self.paper)
            try await Self.add(papers, to: store)
            let start = try await feed.embeddingPosition()
            try await Self.embed(Array(papers.prefix(4)), into: store, embedder: embedder)
            let middle = try await feed.embeddingPosition()
            try await Self.embed(Array(papers.suffix(2)), into: store, embedder: embedder)
            #expect(try await feed.latestRevisions().embeddings == middle.revision + 1)

            var position = start
            var seen: [String] = []
            while true {
                let page = try await feed.embeddings(model: embedder.modelName, after: position, limit: 3)
                guard !page.embeddings.isEmpty else { break }
                seen += page.embeddings.map(\.paperID)
                position = page.position
            }
            #expect(seen == papers.map(\.id))
            #expect(
                try await feed.embeddings(model: embedder.modelName, after: middle, limit: 10).embeddings.map(\.paperID) == papers.suffix(2).map(\.id)
            )
            #expect(try await feed.embeddings(model: "other", after: start, limit: 10).embeddings.isEmpty)
            #expect(try await feed.storeIdentity() == (try await feed.storeIdentity()))
        }
    }
}
