import PaperboyCore

/// Vectors with uniformly random components in [-1, 1], from a seed: dense-search latency and
/// memory do not depend on the values, so benchmarks fill an index with these instead of
/// hours of embedding. The same seed gives the same vectors.
public struct SyntheticVectors: Sendable {
    public let dimension: Int
    private var random: SplitMix64

    public init(dimension: Int, seed: UInt64 = 42) {
        self.dimension = dimension
        random = SplitMix64(seed: seed)
    }

    public mutating func next() -> [Float] {
        (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) }
    }
}
