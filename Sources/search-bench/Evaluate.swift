import Foundation
import PaperboySearch

/// Runs every judged query of `dataset` through `index` and scores the rankings.
func evaluate(_ index: LexicalIndex, on dataset: BEIRDataset, depth: Int = 100) -> RankingMetrics.Summary {
    var run: [String: [String]] = [:]
    for query in dataset.queries {
        run[query.id] = index.search(query.text, k: depth).map(\.id)
    }
    return RankingMetrics.summarize(run: run, judgments: dataset.judgments)
}

func format(_ value: Double) -> String { String(format: "%.3f", value) }
func format4(_ value: Double) -> String { String(format: "%.4f", value) }

/// Monotonic seconds, for measuring.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// CPU seconds used by this thread: unlike wall time, barely affected by other processes
/// competing for the cores.
func threadCPUTime() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
