import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyCore
import PaperboySearch
import PaperboyStore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that reproduce the figures in BENCHMARKS.md.",
        subcommands: [SearchBench.self, TrendingBench.self]
    )
}

/// `paperboy bench search`: index build time, lexical/dense/hybrid/suggest latency on real
/// queries (single thread), embedding throughput and resident memory, over the papers in a
/// database.
struct SearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search latency over the papers in the database (import ../shared/data first)."
    )

    @OptionGroup var options: StoreOptions

    @Option(name: .long, help: "One query a line, e.g. from `anchor-bench latency --n 1000 --dump-queries FILE`.")
    var queries: String

    @Flag(name: .long, help: "Give papers without a stored embedding a random one (latency only; quality is meaningless).")
    var syntheticEmbeddings = false

    @Option(name: .long, help: "Warm-up queries before timing.")
    var warmup = 50

    func run() async throws {
        let settings = try await options.settings()
        let store = try await settings.openStore()
        let embedder: MiniLMTextEmbedder
        switch settings.loadEmbedder(maximumConcurrency: 1) {
        case .success(let loaded): embedder = loaded
        case .failure(let error): throw CommandFailure("\(error)")
        }
        guard let text = try? String(contentsOfFile: queries, encoding: .utf8) else {
            throw CommandFailure("cannot read queries from \(queries)")
        }
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let logger = settings.makeLogger("bench")

        let engine = SearchEngine(store: store, embedder: embedder, logger: logger)
        let loadStart = Date()
        try await engine.load()
        let loadSeconds = Date().timeIntervalSince(loadStart)
        if syntheticEmbeddings { try await addSyntheticEmbeddings(engine, store: store, dimension: embedder.dimension) }

        let documents = try await allDocuments(store)
        let buildStart = Date()
        let rebuilt = LexicalIndex(documents: documents)
        let buildSeconds = Date().timeIntervalSince(buildStart)
        print(
            "papers=\(rebuilt.count) embedded=\(engine.embeddedCount) sentence_vectors=\(engine.passageCount) queries=\(lines.count) warmup=\(warmup)"
        )
        print(
            "lexical index build (\(documents.count) papers, one thread): \(Self.seconds(buildSeconds)) s; engine load from SQLite incl. embeddings: \(Self.seconds(loadSeconds)) s"
        )

        func measure(_ name: String, _ body: (String) -> Void) {
            for query in lines.prefix(warmup) { body(query) }
            var samples: [Double] = []
            samples.reserveCapacity(lines.count)
            for query in lines {
                let start = DispatchTime.now().uptimeNanoseconds
                body(query)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            samples.sort()
            func quantile(_ q: Double) -> String { String(format: "%.3f", samples[min(samples.count - 1, Int(Double(samples.count) * q))]) }
            print("\(name) p50_ms=\(quantile(0.5)) p90_ms=\(quantile(0.9)) p99_ms=\(quantile(0.99)) n=\(samples.count)")
        }
        measure("lexical top-10") { _ = engine.search($0, mode: .lexical, limit: 10) }
        let vectors = Dictionary(lines.map { ($0, embedder.embed($0)) }, uniquingKeysWith: { first, _ in first })
        measure("dense top-10 (query vector precomputed)") { query in _ = engine.denseSearch(vectors[query]!, limit: 10) }
        measure("query embedding") { _ = embedder.embed($0) }
        measure("hybrid top-10 incl. query embedding") { _ = engine.search($0, mode: .hybrid, limit: 10) }
        measure("suggest (first 6 characters)") { _ = engine.suggest(String($0.prefix(6)), limit: 10) }

        print(Self.cacheHitRate(queries: lines))
        try embeddingThroughput(modelDirectory: settings.modelDirectory, documents: documents)
        print("resident memory: \(Self.residentMegabytes()) MB")
    }

    /// The query vector cache's hit rate on a query log with Zipf-like repetition: 20,000
    /// requests, query `r` of the file (by rank) asked with weight 1 / r^s.
    static func cacheHitRate(queries: [String], requests: Int = 20_000) -> String {
        var lines: [String] = []
        for exponent in [0.8, 1.0, 1.2] {
            let weights = (1...queries.count).map { 1 / pow(Double($0), exponent) }
            let total = weights.reduce(0, +)
            var cumulative: [Double] = []
            var sum = 0.0
            for weight in weights {
                sum += weight / total
                cumulative.append(sum)
            }
            var random = SplitMix64(seed: 11)
            let cache = QueryVectorCache()
            for _ in 0..<requests {
                let u = Double.random(in: 0..<1, using: &random)
                var low = 0
                var high = cumulative.count - 1
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] < u { low = middle + 1 } else { high = middle }
                }
                if cache.vector(for: queries[low]) == nil { cache.store([], for: queries[low]) }
            }
            let (hits, misses) = cache.statistics
            lines.append(
                "query vector cache hit rate, \(requests) requests over \(queries.count) queries, Zipf s=\(exponent), capacity \(cache.capacity): \(String(format: "%.3f", Double(hits) / Double(hits + misses)))"
            )
        }
        return lines.joined(separator: "\n")
    }

    func embeddingThroughput(modelDirectory: URL, documents: [SearchDocument]) throws {
        let embedder = try MiniLMTextEmbedder(modelDirectory: modelDirectory)
        // The longest abstracts: each fills the 256-token window.
        let abstracts = documents.sorted { $0.abstract.utf8.count > $1.abstract.utf8.count }.prefix(64)
            .map { embeddingText(title: $0.title, abstract: $0.abstract) }
        let tokens = abstracts.map { embedder.embedder.tokenizer.encode($0).count }
        let start = Date()
        _ = embedder.embed(batch: abstracts)
        let seconds = Date().timeIntervalSince(start)
        print(
            "embedding throughput (2 threads, \(abstracts.count) abstracts, \(tokens.min() ?? 0)-\(tokens.max() ?? 0) tokens): \(String(format: "%.1f", Double(abstracts.count) / seconds)) abstracts/s"
        )
        // 14 word pieces plus [CLS] and [SEP]: a 16-token query.
        let query = "sparse mixture of experts for long context language models with routing and load balancing"
        let single = try MiniLMTextEmbedder(modelDirectory: modelDirectory, maximumConcurrency: 1)
        var samples: [Double] = []
        for _ in 0..<60 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = single.embed(query)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples = Array(samples.dropFirst(10)).sorted()
        print("query of \(single.embedder.tokenizer.encode(query).count) tokens: p50_ms=\(String(format: "%.2f", samples[samples.count / 2]))")
    }

    func allDocuments(_ store: any PaperboyStore.PaperStore) async throws -> [SearchDocument] {
        var documents: [SearchDocument] = []
        var position = PaperboyStore.RevisionPosition(revision: -1)
        while true {
            let page = try await store.papers(after: position, limit: 5000)
            guard let last = page.last else { return documents }
            documents += page.map { SearchDocument(id: $0.paper.id, title: $0.paper.title, abstract: $0.paper.summary, authors: $0.paper.authors) }
            position = last.position
        }
    }

    func addSyntheticEmbeddings(_ engine: SearchEngine, store: any PaperboyStore.PaperStore, dimension: Int) async throws {
        var vectors = SyntheticVectors(dimension: dimension)
        func random() -> [Float] { vectors.next() }
        // As many sentence vectors as the real ones would have.
        let embeddings = try await allDocuments(store).map { document in
            PaperboyStore.PaperEmbedding(
                paperID: document.id,
                vector: random(),
                passages: Passages.texts(title: document.title, abstract: document.abstract).map { _ in random() }
            )
        }
        engine.addEmbeddings(embeddings.filter { !engine.hasEmbedding($0.paperID) })  // real ones stay
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f", value) }

    static func residentMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}

/// `paperboy bench trending`: how long ranking the trending page takes, straight from the
/// store (no response cache), for the votes already in the database.
struct TrendingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trending",
        abstract: "Time the trending computation (store query and ranking, no cache)."
    )

    @OptionGroup var options: StoreOptions

    @Option(name: .long, help: "Repetitions.")
    var repetitions = 200

    func run() async throws {
        let store = try await options.settings().openStore()
        let feed = FeedService(store: store, clock: SystemClock())
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await feed.trendingEntries(limit: 50)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples.sort()
        let votes = try await store.localUpvoteCount()
        print(
            "trending top-50 with \(votes) local upvotes: p50_ms=\(String(format: "%.2f", samples[samples.count / 2])) p99_ms=\(String(format: "%.2f", samples[samples.count * 99 / 100]))"
        )
    }
}
