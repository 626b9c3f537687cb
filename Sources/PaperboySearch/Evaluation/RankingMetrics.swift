import Foundation

/// Retrieval metrics as BEIR computes them with pytrec_eval.
public enum RankingMetrics {
    /// nDCG@k with gain = graded relevance and a log2(rank + 1) discount; the ideal ranking is
    /// the judged documents sorted by relevance. A query with no relevant judgment scores 0.
    public static func ndcg(ranked: [String], judgments: [String: Int], k: Int) -> Double {
        var dcg = 0.0
        for (index, id) in ranked.prefix(k).enumerated() {
            dcg += Double(max(judgments[id] ?? 0, 0)) / log2(Double(index + 2))
        }
        let ideal = judgments.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
        var idcg = 0.0
        for (index, gain) in ideal.enumerated() { idcg += Double(gain) / log2(Double(index + 2)) }
        return idcg > 0 ? dcg / idcg : 0
    }

    /// Fraction of the relevant documents (relevance ≥ 1) found in the first k.
    public static func recall(ranked: [String], judgments: [String: Int], k: Int) -> Double {
        let relevant = Set(judgments.filter { $0.value > 0 }.keys)
        guard !relevant.isEmpty else { return 0 }
        let found = ranked.prefix(k).filter { relevant.contains($0) }.count
        return Double(found) / Double(relevant.count)
    }

    /// Fraction of the first k positions holding a relevant document (empty positions count
    /// as misses, as in trec_eval).
    public static func precision(ranked: [String], relevant: Set<String>, k: Int) -> Double {
        guard k > 0 else { return 0 }
        return Double(ranked.prefix(k).filter { relevant.contains($0) }.count) / Double(k)
    }

    public struct Summary: Sendable, Hashable {
        public var ndcgAt10: Double
        public var recallAt100: Double
        public var queryCount: Int
    }

    /// Mean nDCG@10 and Recall@100 over every judged query; `run` maps a query id to its
    /// ranking, and a query missing from it scores 0.
    public static func summarize(run: [String: [String]], judgments: [String: [String: Int]]) -> Summary {
        guard !judgments.isEmpty else { return Summary(ndcgAt10: 0, recallAt100: 0, queryCount: 0) }
        var ndcgTotal = 0.0
        var recallTotal = 0.0
        for (query, judged) in judgments {
            let ranked = run[query] ?? []
            ndcgTotal += ndcg(ranked: ranked, judgments: judged, k: 10)
            recallTotal += recall(ranked: ranked, judgments: judged, k: 100)
        }
        let n = Double(judgments.count)
        return Summary(ndcgAt10: ndcgTotal / n, recallAt100: recallTotal / n, queryCount: judgments.count)
    }
}
