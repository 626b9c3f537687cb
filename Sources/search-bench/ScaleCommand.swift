import Foundation
import PaperboyCore
import PaperboySearch

/// `scale --scale N --queries FILE`: the search index at N papers, built by the rule of
/// `anchor-bench latency --scale N` (the arXiv + HF corpus repeated in its own order, copy k > 0
/// of a paper with id `<id>#<k>`), so both index the same documents. Real vocabulary and
/// posting lengths; whole-paper vectors are synthetic (a scan costs the same whatever the
/// values) and, with `--passages S`, S synthetic sentence vectors per paper.
///
/// Ends with one line scripts read:
/// `scale papers=N build_s=… lexical_p50_ms=… lexical_p99_ms=… dense_p99_ms=…
/// dense_recall10=… hybrid_p50_ms=… hybrid_p99_ms=… rss_mb=… load_s=… update_1000_s=…`.
/// `hybrid_*` is the ranking the server does (lexical, dense with passages, fusion) given the
/// query vector: the query embedding (MiniLM, about 5 ms) is measured by `minilm-bench`.
/// `dense_recall10` is the served dense mode (clustered from 50,000 papers) against exact
/// search on the same vectors; `--vectors DIR` uses real MiniLM vectors (`embed-sample`) for
/// papers and queries, which recall must be measured on; `--scan` keeps the full scan;
/// `--index-file PATH` writes the indexes (with title suggestions, as the server's file holds)
/// to PATH and reads them back: `load_s` is that read, else `na`. `search-bench load-index`
/// reads such a file in a process of its own, for the memory a server holds.
enum ScaleCommand {
    static func run(_ arguments: Arguments) throws {
        let data = URL(filePath: arguments.value("data", default: "../shared/data"))
        let target = Int(arguments.value("scale", default: "1000000")) ?? 1_000_000
        // `--passages real`: as many sentence vectors as the server would store for each paper.
        let passageArgument = arguments.value("passages", default: "0")
        let passagesPerPaper = Int(passageArgument) ?? 0
        let queries = try String(contentsOfFile: try arguments.required("queries"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        let corpus = try BenchCorpus.load(data: data)
        let sentenceCounts = corpus.documents.map {
            passageArgument == "real" ? Passages.texts(title: $0.title, abstract: $0.abstract).count : passagesPerPaper
        }
        let documents = scaled(corpus.documents, to: target)
        print("corpus docs=\(corpus.documents.count) scaled to \(documents.count) queries=\(queries.count)")

        let buildStart = now()
        var lexical = LexicalIndex(documents: documents)
        let lexicalBuild = now() - buildStart
        if let name = arguments.optional("strategy") {
            lexical.strategy = try strategy(named: name)
        }
        print("lexical build_s=\(format(lexicalBuild)) rss_mb=\(rssMegabytes())")
        if let path = arguments.optional("compare-strategies") {
            try compareStrategies(lexical, queries: queries, path: path)
        }
        if arguments.optional("lexical-only") != nil {
            try lexicalOnly(lexical, queries: queries, corpus: corpus, build: lexicalBuild)
            return
        }

        let dimension = 384
        var vectors = SyntheticVectors(dimension: dimension, seed: 42)
        // Whole-paper and query vectors: real MiniLM ones (`--vectors`, from `embed-sample`,
        // repeated with noise) or synthetic ones. Passage vectors are always synthetic.
        let real = try arguments.optional("vectors").map { try RealVectors.load(from: URL(filePath: $0)) }
        var expander = real.map { RealVectors.Expander(real: $0, noise: 0.5) }
        func paperVector(_ j: Int) -> [Float] { expander?.vector(j) ?? vectors.next() }
        var dense = DenseIndex(dimension: dimension)
        let denseStart = now()
        for (j, document) in documents.enumerated() {
            let passages = (0..<sentenceCounts[j % sentenceCounts.count]).map { _ in vectors.next() }
            _ = dense.upsert(id: document.id, vector: paperVector(j), passages: passages)
        }
        let denseFill = now() - denseStart
        let clusterStart = now()
        if arguments.optional("scan") == nil { dense.clusterIfLarge() }
        print(
            "dense fill_s=\(format(denseFill)) cluster_s=\(format(now() - clusterStart)) clusters=\(dense.clusterCount) probes=\(dense.probeCount) passages_per_paper=\(String(format: "%.2f", Double(dense.passageCount) / Double(max(1, dense.count)))) vectors=\(real == nil ? "synthetic" : "real") rss_mb=\(rssMegabytes())"
        )
        let queryVectors = queries.indices.map { i in real.map { $0.queries[i % $0.queries.count] } ?? vectors.next() }

        let lexicalTimes = LatencyCommand.measure(queries) { _ = lexical.search($0, k: 10) }
        print("lexical[\(lexical.strategy)] \(LatencyCommand.percentiles(lexicalTimes)) n=\(lexicalTimes.count)")
        let indexes = queries.indices.map(String.init)
        let denseTimes = LatencyCommand.measure(Array(indexes.prefix(300))) { _ = dense.search(queryVectors[Int($0)!], k: 10) }
        print("dense \(LatencyCommand.percentiles(denseTimes)) n=\(denseTimes.count)")
        var found = 0
        let recallQueries = queryVectors.prefix(1000)
        for query in recallQueries {
            let exact = Set(dense.search(query, k: 10, mode: .exact).map(\.doc))
            found += exact.intersection(dense.search(query, k: 10).map(\.doc)).count
        }
        let recall = Double(found) / Double(10 * recallQueries.count)
        let hybridTimes = LatencyCommand.measure(Array(indexes.prefix(300))) { index in
            let i = Int(index)!
            _ = HybridRanker.rank(queries[i], mode: .hybrid, lexical: lexical, dense: dense, depth: 100) { queryVectors[i] }
        }
        print("hybrid (query vector given) \(LatencyCommand.percentiles(hybridTimes)) n=\(hybridTimes.count)")

        // 1,000 new papers into the live indexes (new ids: copy `target` of the first papers).
        var updatedLexical = lexical
        var updatedDense = dense
        let fresh = corpus.documents.prefix(1_000).map {
            SearchDocument(id: "\($0.id)#new", title: $0.title, abstract: $0.abstract, authors: $0.authors)
        }
        let freshVectors = fresh.indices.map { j in
            (paper: paperVector(documents.count + j), passages: (0..<sentenceCounts[j]).map { _ in vectors.next() })
        }
        let updateStart = now()
        updatedLexical.upsert(contentsOf: Array(fresh))
        let lexicalUpdate = now() - updateStart
        for (document, vectors) in zip(fresh, freshVectors) {
            _ = updatedDense.upsert(id: document.id, vector: vectors.paper, passages: vectors.passages)
        }
        let update = now() - updateStart
        print("update 1000 papers: lexical_s=\(format(lexicalUpdate)) dense_s=\(format(update - lexicalUpdate))")
        precondition(updatedLexical.count == lexical.count + fresh.count)

        let load = try arguments.optional("index-file").map { path in
            try indexFileRoundTrip(path: path, lexical: lexical, dense: dense, documents: documents, queries: queries, queryVectors: queryVectors)
        }

        let lexicalSorted = lexicalTimes.sorted()
        let denseSorted = denseTimes.sorted()
        let hybridSorted = hybridTimes.sorted()
        func at(_ sorted: [Double], _ p: Double) -> String { String(format: "%.3f", sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]) }
        print(
            "scale papers=\(documents.count) build_s=\(format(lexicalBuild)) lexical_p50_ms=\(at(lexicalSorted, 0.5)) lexical_p99_ms=\(at(lexicalSorted, 0.99)) dense_p99_ms=\(at(denseSorted, 0.99)) dense_recall10=\(String(format: "%.3f", recall)) hybrid_p50_ms=\(at(hybridSorted, 0.5)) hybrid_p99_ms=\(at(hybridSorted, 0.99)) rss_mb=\(rssMegabytes()) load_s=\(load.map(format) ?? "na") update_1000_s=\(format(update))"
        )
    }

    /// Writes the indexes and title suggestions to `path`, reads them back and checks that the
    /// copies answer the first 100 queries as the originals do; returns the read's seconds.
    static func indexFileRoundTrip(
        path: String,
        lexical: LexicalIndex,
        dense: DenseIndex,
        documents: [SearchDocument],
        queries: [String],
        queryVectors: [[Float]]
    ) throws -> Double {
        let suggester = Suggester(titles: documents.map { ($0.id, $0.title, 0) })
        let writeStart = now()
        let writer = try IndexFileWriter(path: path)
        lexical.write(to: writer)
        dense.write(to: writer)
        suggester.write(to: writer)
        try writer.commit()
        let write = now() - writeStart
        let (read, loaded) = try loadIndexFile(path: path, dimension: dense.dimension)
        for (query, vector) in zip(queries, queryVectors).prefix(100) {
            precondition(loaded.lexical.search(query, k: 10).map(\.id) == lexical.search(query, k: 10).map(\.id), "lexical differs: \(query)")
            precondition(loaded.dense.search(vector, k: 10) == dense.search(vector, k: 10), "dense differs: \(query)")
        }
        let megabytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) >> 20
        print("index file write_s=\(format(write)) load_s=\(format(read)) megabytes=\(megabytes) rss_mb=\(rssMegabytes())")
        return read
    }

    struct LoadedIndexes {
        var lexical: LexicalIndex
        var dense: DenseIndex
        var suggester: Suggester
    }

    static func loadIndexFile(path: String, dimension: Int) throws -> (seconds: Double, indexes: LoadedIndexes) {
        let start = now()
        let reader = try IndexFileReader(path: path)
        let indexes = LoadedIndexes(
            lexical: try LexicalIndex(reading: reader),
            dense: try DenseIndex(reading: reader, dimension: dimension),
            suggester: try Suggester(reading: reader)
        )
        try reader.finish()
        return (now() - start, indexes)
    }

    /// `load-index --file PATH --queries FILE`: reads a file `scale --index-file` wrote, in a
    /// process that holds nothing else, then runs every query lexically and 300 hybrid ones
    /// (query vectors: stored vectors of papers spread over the index). Prints the read time and
    /// the resident memory after reading and after the searches: what a server holds.
    static func loadIndex(_ arguments: Arguments) throws {
        let path = try arguments.required("file")
        let queries = try String(contentsOfFile: try arguments.required("queries"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        let (seconds, indexes) = try loadIndexFile(path: path, dimension: 384)
        let afterLoad = rssMegabytes()
        let lexicalTimes = LatencyCommand.measure(queries) { _ = indexes.lexical.search($0, k: 10) }.sorted()
        let step = max(1, indexes.dense.count / 300)
        let vectors = (0..<300).map { indexes.dense.vector(of: Int32(min($0 * step, indexes.dense.count - 1))) }
        let hybridTimes = LatencyCommand.measure(Array(queries.prefix(300).enumerated().map { "\($0.offset)" })) { index in
            let i = Int(index)!
            _ = HybridRanker.rank(queries[i], mode: .hybrid, lexical: indexes.lexical, dense: indexes.dense, depth: 100) { vectors[i] }
        }.sorted()
        func at(_ sorted: [Double], _ p: Double) -> String { String(format: "%.3f", sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]) }
        let statistics = indexes.lexical.statistics
        print("lexical terms=\(statistics.terms) postings=\(statistics.postings) posting_mb=\(statistics.postingBytes >> 20)")
        print(
            "load-index papers=\(indexes.lexical.count) vectors=\(indexes.dense.count) passages=\(indexes.dense.passageCount) clusters=\(indexes.dense.clusterCount) load_s=\(format(seconds)) rss_after_load_mb=\(afterLoad) lexical_p50_ms=\(at(lexicalTimes, 0.5)) hybrid_p50_ms=\(at(hybridTimes, 0.5)) hybrid_p99_ms=\(at(hybridTimes, 0.99)) rss_mb=\(rssMegabytes())"
        )
    }

    /// `--lexical-only`: the lexical half of the scale line, without building the dense index.
    static func lexicalOnly(_ lexical: LexicalIndex, queries: [String], corpus: BenchCorpus, build: Double) throws {
        let times = LatencyCommand.measure(queries) { _ = lexical.search($0, k: 10) }.sorted()
        print("lexical[\(lexical.strategy)] \(LatencyCommand.percentiles(times)) n=\(times.count)")
        // On a shared machine wall time includes whatever the scheduler took away.
        let cpuTimes = LatencyCommand.measure(queries, clock: threadCPUTime) { _ = lexical.search($0, k: 10) }
        print("lexical[\(lexical.strategy)] cpu \(LatencyCommand.percentiles(cpuTimes)) n=\(cpuTimes.count)")
        var updated = lexical
        let fresh = corpus.documents.prefix(1_000).map {
            SearchDocument(id: "\($0.id)#new", title: $0.title, abstract: $0.abstract, authors: $0.authors)
        }
        let updateStart = now()
        updated.upsert(contentsOf: Array(fresh))
        let update = now() - updateStart
        func at(_ p: Double) -> String { String(format: "%.3f", times[min(times.count - 1, Int(p * Double(times.count)))]) }
        print(
            "scale papers=\(lexical.count) build_s=\(format(build)) lexical_p50_ms=\(at(0.5)) lexical_p99_ms=\(at(0.99)) rss_mb=\(rssMegabytes()) update_1000_s=\(format(update))"
        )
    }

    /// Every strategy on every query, interleaved, best of 3 each (so a noisy machine hits all
    /// strategies alike). Writes a TSV (distinct analysed terms, then ms per strategy in
    /// `ScoringStrategy.allCases` order), prints each strategy's percentiles and how many
    /// queries' top 10 differ from exhaustive's.
    static func compareStrategies(_ lexical: LexicalIndex, queries: [String], path: String) throws {
        let indexes = ScoringStrategy.allCases.map { strategy in
            var index = lexical
            index.strategy = strategy
            return index
        }
        for query in queries.prefix(50) {
            for index in indexes { _ = index.search(query, k: 10) }
        }
        var lines: [String] = []
        var times = [[Double]](repeating: [], count: indexes.count)
        var disagreements = [Int](repeating: 0, count: indexes.count)
        for query in queries {
            var best = [Double](repeating: .infinity, count: indexes.count)
            var results = [[ScoredDoc]](repeating: [], count: indexes.count)
            for _ in 0..<3 {
                for (slot, index) in indexes.enumerated() {
                    let start = now()
                    results[slot] = index.searchInternal(query, k: 10)
                    best[slot] = min(best[slot], (now() - start) * 1000)
                }
            }
            for slot in indexes.indices {
                times[slot].append(best[slot])
                if results[slot] != results[0] { disagreements[slot] += 1 }
            }
            lines.append(([String(Set(lexical.analyzer.terms(query)).count)] + best.map { "\($0)" }).joined(separator: "\t"))
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        for (slot, index) in indexes.enumerated() {
            print(
                "compare[\(index.strategy)] best-of-3 \(LatencyCommand.percentiles(times[slot])) differs_from_exhaustive=\(disagreements[slot])"
            )
        }
    }

    static func strategy(named name: String) throws -> ScoringStrategy {
        guard let strategy = ScoringStrategy(name: name) else {
            throw UsageError(message: "unknown strategy \(name): \(ScoringStrategy.allCases.map { "\($0)" })")
        }
        return strategy
    }

    /// `anchor-bench`'s rule: the corpus repeated in its own order until it holds `count`
    /// papers; copy k > 0 of a paper gets the id `<id>#<k>`.
    static func scaled(_ documents: [SearchDocument], to count: Int) -> [SearchDocument] {
        var result: [SearchDocument] = []
        result.reserveCapacity(count)
        var copy = 0
        while result.count < count, !documents.isEmpty {
            for document in documents {
                if result.count == count { break }
                if copy == 0 {
                    result.append(document)
                } else {
                    result.append(
                        SearchDocument(id: "\(document.id)#\(copy)", title: document.title, abstract: document.abstract, authors: document.authors)
                    )
                }
            }
            copy += 1
        }
        return result
    }

    /// The process's resident memory (VmRSS), in MB.
    static func rssMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        return (Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? 0) / 1024
    }

    static func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}
