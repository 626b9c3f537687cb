import Foundation
import PaperboyCore
import PaperboySearch

/// `ann --sample var/ann-sample [--scale N] [--noise 0.5] [--clusters C] [--probes 8,16,32]`:
/// recall@10 and latency of the clustered dense index against exact search, on the real
/// MiniLM vectors `embed-sample` wrote, for the real (embedded) anchor queries.
///
/// With `--scale N` above the sample's size, vector `j` is sample vector `j mod n` plus
/// Gaussian noise of norm about `noise` (then normalised): the copies keep the real vectors'
/// cluster structure, which is what an inverted file's recall depends on.
enum AnnCommand {
    static func run(_ arguments: Arguments) throws {
        let sample = URL(filePath: arguments.value("sample", default: "var/ann-sample"))
        let real = try RealVectors.load(from: sample)
        let target = Int(arguments.value("scale", default: "\(real.papers.count)")) ?? real.papers.count
        let noise = Float(arguments.value("noise", default: "0.5")) ?? 0.5
        // 0: the index's own choice (`probeCount`, about `rowsPerQuery` rows).
        let probeList = arguments.value("probes", default: "0,16,32,64,96").split(separator: ",").compactMap { Int($0) }
        var index = DenseIndex(dimension: real.dimension)
        var expander = RealVectors.Expander(real: real, noise: noise)
        for j in 0..<target { index.upsert(id: "v\(j)", vector: expander.vector(j)) }
        let clusterStart = now()
        let clusterCount = Int(arguments.value("clusters", default: "\(DenseIndex.defaultClusterCount(for: target))"))
        index.cluster(clusterCount: clusterCount)
        print(
            "ann vectors=\(target) sample=\(real.papers.count) noise=\(noise) clusters=\(index.clusterCount) cluster_s=\(String(format: "%.2f", now() - clusterStart)) queries=\(real.queries.count) rss_mb=\(ScaleCommand.rssMegabytes())"
        )
        let sizes = index.clusterSizes.sorted()
        if !sizes.isEmpty {
            print(
                "ann cluster_rows min=\(sizes[0]) p50=\(sizes[sizes.count / 2]) p90=\(sizes[sizes.count * 9 / 10]) p99=\(sizes[sizes.count * 99 / 100]) max=\(sizes[sizes.count - 1])"
            )
        }
        let exact = real.queries.map { Set(index.search($0, k: 10, mode: .exact).map(\.doc)) }
        let inputs = real.queries.indices.map(String.init)
        for probes in probeList {
            index.probes = probes == 0 ? nil : probes
            var found = 0
            for (query, truth) in zip(real.queries, exact) {
                found += truth.intersection(index.search(query, k: 10).map(\.doc)).count
            }
            let rows = real.queries.map { index.rowsRead(for: $0) }.sorted()
            print(
                "ann probes=\(index.probeCount) rows_read p50=\(rows[rows.count / 2]) p90=\(rows[rows.count * 9 / 10]) p99=\(rows[rows.count * 99 / 100])"
            )
            let times = LatencyCommand.measure(inputs) { _ = index.search(real.queries[Int($0)!], k: 10) }
            print(
                "ann probes=\(index.probeCount)\(probes == 0 ? "(auto)" : "") recall10=\(String(format: "%.4f", Double(found) / Double(10 * exact.count))) \(LatencyCommand.percentiles(times))"
            )
        }
    }
}

/// The vectors `embed-sample` wrote: papers and queries, float32, 384 components each.
struct RealVectors {
    let dimension = 384
    var papers: [[Float]]
    var queries: [[Float]]

    static func load(from folder: URL) throws -> RealVectors {
        func rows(_ name: String) throws -> [[Float]] {
            let data = try Data(contentsOf: folder.appending(path: name))
            let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return stride(from: 0, to: floats.count - 383, by: 384).map { Array(floats[$0..<$0 + 384]) }
        }
        return RealVectors(papers: try rows("papers.f32"), queries: try rows("queries.f32"))
    }

    /// Real vectors for any number of papers: the sample, then noisy copies of it.
    struct Expander {
        let real: RealVectors
        let noise: Float
        var random = SplitMix64(seed: 7)

        init(real: RealVectors, noise: Float) {
            self.real = real
            self.noise = noise
        }

        mutating func vector(_ j: Int) -> [Float] {
            let base = real.papers[j % real.papers.count]
            guard j >= real.papers.count, noise > 0 else { return base }
            // Box–Muller normals, each of variance noise² / dimension.
            let sigma = noise / Float(real.dimension).squareRoot()
            return base.map { value in
                let u = max(Float.random(in: 0..<1, using: &random), .leastNormalMagnitude)
                let v = Float.random(in: 0..<1, using: &random)
                return value + sigma * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
            }
        }
    }
}
