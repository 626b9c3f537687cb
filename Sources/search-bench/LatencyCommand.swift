import Foundation
import PaperboySearch

/// `latency --queries FILE`: build time over the arXiv + HF corpus, then single-threaded
/// top-10 query latency (after 50 warm-ups) and title-suggestion latency.
enum LatencyCommand {
    static func run(_ arguments: Arguments) throws {
        let data = URL(filePath: arguments.value("data", default: "../shared/data"))
        let queries = try String(contentsOfFile: try arguments.required("queries"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        let loadStart = now()
        let corpus = try BenchCorpus.load(data: data)
        print(
            "corpus docs=\(corpus.documents.count) (arxiv=\(corpus.arxivCount) hf_only=\(corpus.hfOnlyCount)) load_s=\(String(format: "%.1f", now() - loadStart)) queries=\(queries.count)"
        )

        let buildStart = now()
        let buildCPUStart = threadCPUTime()
        var index = LexicalIndex(documents: corpus.documents)
        let buildSeconds = now() - buildStart
        let buildCPUSeconds = threadCPUTime() - buildCPUStart
        if let name = arguments.optional("strategy") {
            index.strategy = try ScaleCommand.strategy(named: name)
        }
        var zeroResults = 0
        // --repeat N reruns the query set, to give a profiler enough samples.
        for _ in 1..<max(1, Int(arguments.value("repeat", default: "1")) ?? 1) {
            for query in queries { _ = index.search(query, k: 10) }
        }
        let times = measure(queries) { query in
            let results = index.search(query, k: 10)
            if results.isEmpty { zeroResults += 1 }
        }
        print(
            "paperboy[\(index.strategy)] build_s=\(String(format: "%.2f", buildSeconds)) build_cpu_s=\(String(format: "%.2f", buildCPUSeconds)) docs=\(index.count) \(percentiles(times)) n=\(times.count)"
                + (zeroResults > 0 ? " zero_results=\(zeroResults)" : "")
        )

        // CPU time per query is what the query itself costs; wall time adds whatever the
        // scheduler took away when other processes compete for the cores.
        let cpuTimes = measure(queries, clock: threadCPUTime) { _ = index.search($0, k: 10) }
        print("paperboy[\(index.strategy)] cpu \(percentiles(cpuTimes)) n=\(cpuTimes.count)")

        // Worst case: a 10 kB paste of abstracts, hundreds of distinct terms.
        let paste = String(corpus.documents.prefix(20).map(\.abstract).joined(separator: " ").prefix(10_000))
        let pasteTimes = measure(Array(repeating: paste, count: 20)) { _ = index.search($0, k: 10) }
        print("paperboy 10kB query \(percentiles(pasteTimes))")

        let stats = index.statistics
        print("index terms=\(stats.terms) postings=\(stats.postings) posting_mb=\(stats.postingBytes / 1_000_000)")
        // Every strategy is exact: check they agree on every query.
        let others = ScoringStrategy.allCases.filter { $0 != index.strategy }.map { strategy in
            var other = index
            other.strategy = strategy
            return other
        }
        let disagreements = queries.filter { query in
            let results = index.searchInternal(query, k: 10)
            return others.contains { $0.searchInternal(query, k: 10) != results }
        }.count
        print("strategies disagree on \(disagreements) of \(queries.count) queries")

        let suggestStart = now()
        let suggester = Suggester(titles: corpus.documents.map { ($0.id, $0.title, 0) })
        let suggestBuild = now() - suggestStart
        // What a user types while the box is filling in: the first 3, 6 and 12 characters.
        let prefixes = queries.flatMap { query in [3, 6, 12].map { String(query.prefix($0)) } }
        let suggestTimes = measure(prefixes) { _ = suggester.suggest($0, limit: 10) }
        print(
            "suggest build_s=\(String(format: "%.2f", suggestBuild)) \(percentiles(suggestTimes)) n=\(suggestTimes.count)"
        )
    }

    /// Milliseconds per call of `body` for each input, after 50 warm-up calls.
    static func measure(_ inputs: [String], clock: () -> Double = now, _ body: (String) -> Void) -> [Double] {
        for input in inputs.prefix(50) { body(input) }
        var times: [Double] = []
        times.reserveCapacity(inputs.count)
        for input in inputs {
            let start = clock()
            body(input)
            times.append((clock() - start) * 1000)
        }
        return times
    }

    static func percentiles(_ times: [Double]) -> String {
        let sorted = times.sorted()
        func at(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "nan" }
            return String(format: "%.3f", sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))])
        }
        return "p50_ms=\(at(0.5)) p90_ms=\(at(0.9)) p99_ms=\(at(0.99))"
    }
}
