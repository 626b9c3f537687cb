import Foundation

/// BM25 with per-field weights (the simple BM25F: weighted term frequencies and lengths).
/// Defaults were tuned on SciFact train judgments with `search-bench tune` (k1 ∈ 0.9…2,
/// b ∈ 0.6…1, title weight 1…5: a flat optimum, k1 = 1.5, b = 0.75, title ×3 at 0.705).
/// Authors keep weight 1: SciFact has no authors to tune it on.
public struct BM25Parameters: Sendable, Hashable {
    /// Term-frequency saturation.
    public var k1: Float
    /// Length normalisation strength (0 = none, 1 = full).
    public var b: Float
    public var titleWeight: Float
    public var abstractWeight: Float
    public var authorsWeight: Float

    public init(
        k1: Float = 1.5,
        b: Float = 0.75,
        titleWeight: Float = 3,
        abstractWeight: Float = 1,
        authorsWeight: Float = 1
    ) {
        self.k1 = k1
        self.b = b
        self.titleWeight = titleWeight
        self.abstractWeight = abstractWeight
        self.authorsWeight = authorsWeight
    }

    public static let `default` = BM25Parameters()

    /// Lucene's idf: always positive, so very common terms still add a little. Removed
    /// documents stay counted in `df` until a rebuild, which could push idf below zero; the
    /// floor keeps every contribution positive (scoring relies on that).
    func idf(documentFrequency df: Int, documentCount n: Int) -> Float {
        let df = Float(df)
        return max(log(1 + (Float(n) - df + 0.5) / (df + 0.5)), 1e-4)
    }

    /// The per-document part of the BM25 denominator: k1 · (1 − b + b · length / average).
    func lengthNorm(length: Float, averageLength: Float) -> Float {
        k1 * (1 - b + b * length / max(averageLength, 1))
    }

    /// A term's score in a document, before multiplying by idf. Always below k1 + 1.
    func impact(termFrequency tf: Float, lengthNorm: Float) -> Float {
        tf * (k1 + 1) / (tf + lengthNorm)
    }

    /// Recovers the term frequency behind an `impact`, so impacts can be renormalised
    /// when the average length drifts after many updates.
    func termFrequency(impact: Float, lengthNorm: Float) -> Float {
        impact * lengthNorm / (k1 + 1 - impact)
    }
}
