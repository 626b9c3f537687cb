import Foundation
import PaperboyCore
import PaperboySearch

/// `dense [--count 80000] [--dimension 384]`: brute-force top-10 cosine latency over random
/// unit vectors, the size of the embedded arXiv corpus.
enum DenseCommand {
    static func run(_ arguments: Arguments) throws {
        let count = Int(arguments.value("count", default: "80000")) ?? 80_000
        let dimension = Int(arguments.value("dimension", default: "384")) ?? 384
        var vectors = SyntheticVectors(dimension: dimension, seed: 42)
        func vector() -> [Float] { vectors.next() }
        var index = DenseIndex(dimension: dimension)
        let start = now()
        for i in 0..<count { index.upsert(id: "v\(i)", vector: vector()) }
        let queries = (0..<300).map { _ in vector() }
        print("dense vectors=\(count) dim=\(dimension) fill_s=\(String(format: "%.2f", now() - start))")
        var misses = 0
        for mode in [DenseSearchMode.exact, .quantized(candidates: 100)] {
            let times = LatencyCommand.measure(queries.indices.map(String.init)) { i in
                _ = index.search(queries[Int(i)!], k: 10, mode: mode)
            }
            print("dense[\(mode)] \(LatencyCommand.percentiles(times)) n=\(times.count)")
        }
        for query in queries {
            let exact = Set(index.search(query, k: 10, mode: .exact).map(\.doc))
            misses += 10 - exact.intersection(index.search(query, k: 10).map(\.doc)).count
        }
        print(
            "quantized recall@10 vs exact: \(String(format: "%.4f", 1 - Double(misses) / Double(10 * queries.count)))"
        )
    }
}
