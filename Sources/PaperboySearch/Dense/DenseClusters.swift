import CVectorKernels
import Dispatch

/// An inverted file (IVF) over the dense index's 8-bit rows: k-means groups the vectors into
/// clusters, and a query reads only the rows of the clusters whose centroids score best
/// against it, instead of every row.
///
/// A centroid is its members' mean, not scaled to unit length. Real MiniLM vectors share a
/// large common direction, and unit-length centroids of loose clusters then outscore those of
/// tight ones for almost every vector: at a million, half the clusters held under 120 vectors
/// while one held 20,000, and a query read 150,000 rows instead of the planned 64,000. Scoring
/// against the mean (a loose cluster's is shorter) keeps them even (median 460, 99th
/// percentile 3,200) and ranks a cluster by its members' average score for the query. The
/// few hubs that remain (one of 18,784 at 4,000 clusters) are split after training
/// (`splitFactor`): a query then reads 76,000 rows at the median and 116,000 at the 99th
/// percentile instead of 84,000 and 166,000, for the same recall.
///
/// Each cluster keeps its members' 8-bit rows and scales contiguously, so a query streams
/// through a few lists instead of gathering rows from all over the index (at a million
/// vectors, gathering was bound by cache and TLB misses).
///
/// Chosen over a graph index (HNSW) because adding a paper is a nearest-centroid lookup and an
/// append (no neighbour lists to repair), and because it trains in seconds where a graph over
/// a million vectors takes minutes to build (BENCHMARKS.md, "Search at arXiv scale").
public struct DenseClusters: Sendable {
    let dimension: Int
    /// Centroid `c` (its members' mean) at 8 bits in row `c`, quantised as the index's rows are.
    var centroids: [Int8] = []
    var centroidScales: [Float] = []
    /// Each cluster's list: its members' internal ids, 8-bit rows and scales, in the order
    /// they joined. A member removed or moved to another cluster keeps its entry with scale 0,
    /// which scans skip, until the clusters are trained again.
    var lists: [List] = []
    /// Where each internal id's entry is: cluster and position in its list (−1: none).
    var entries = ChunkedArray<Int32>(rowLength: 2, rowShift: DenseIndex.rowShift)

    struct List: Sendable {
        var docs: [Int32] = []
        /// The only copy of its members' rows once the index is clustered (`DenseIndex.row`);
        /// appends do not move rows that readers' snapshots point into.
        var codes = AppendBuffer<Int8>()
        var scales: [Float] = []
    }
    /// How many vectors the centroids were trained on.
    var trainedCount = 0

    /// Clusters trained.
    public var count: Int { centroidScales.count }

    /// Trains `clusterCount` centroids on an even sample of the live rows (`sampleFactor` rows
    /// a centroid, `iterations` rounds of k-means by dot product, all on 8-bit rows), then files
    /// every live row under its nearest centroid. Deterministic for the same rows.
    static func train(
        _ index: DenseIndex,
        clusterCount: Int,
        iterations: Int = 8,
        sampleFactor: Int = 40
    ) -> DenseClusters {
        let dimension = index.dimension
        let rows = (0..<index.internalIDLimit).filter { index.isLive[$0] }
        var clusters = DenseClusters(dimension: dimension)
        let k = min(clusterCount, rows.count)
        guard k > 0 else { return clusters }
        let sampleSize = min(rows.count, k * sampleFactor)
        let sample = (0..<sampleSize).map { Int32(rows[$0 * rows.count / sampleSize]) }
        var centroidVectors = kMeans(
            (0..<k).map { c in index.unitVector(of: sample[c * sampleSize / k]) },
            sample: sample,
            iterations: iterations,
            in: index
        )
        clusters.setCentroids(centroidVectors)
        // Hubs: a cluster with over `splitFactor` times the average share of the sample is
        // split into as many average-sized ones, trained on its own members. Queries near a
        // hub then read the part of it near them, not all of it.
        var members = [[Int32]](repeating: [], count: k)
        for (i, cluster) in clusters.nearest(rows: sample, in: index).enumerated() { members[Int(cluster)].append(sample[i]) }
        let average = Double(sampleSize) / Double(k)
        for c in 0..<k where Double(members[c].count) > splitFactor * average {
            let count = Int((Double(members[c].count) / average).rounded(.up))
            let parts = kMeans(
                (0..<count).map { index.unitVector(of: members[c][$0 * members[c].count / count]) },
                sample: members[c],
                iterations: 4,
                in: index
            )
            centroidVectors[c] = parts[0]
            centroidVectors += parts.dropFirst()
        }
        if centroidVectors.count > k { clusters.setCentroids(centroidVectors) }
        clusters.trainedCount = rows.count
        let all = rows.map { Int32($0) }
        let assignment = clusters.nearest(rows: all, in: index)
        clusters.lists = [List](repeating: List(), count: centroidVectors.count)
        clusters.entries.append(contentsOf: [Int32](repeating: -1, count: 2 * index.internalIDLimit))
        for (doc, cluster) in zip(all, assignment) {
            clusters.append(doc, to: cluster, row: index.row(doc), scale: index.codeScales[Int(doc)])
        }
        return clusters
    }

    /// How many times the average share of the sample a cluster may hold before it is split.
    static let splitFactor = 4.0

    /// `iterations` rounds of k-means by dot product over the rows `sample`, from `centres`:
    /// each round files every row under its best-scoring centroid and moves each centroid to
    /// its members' mean; one left without members starts again from a sample row.
    private static func kMeans(_ centres: [[Float]], sample: [Int32], iterations: Int, in index: DenseIndex) -> [[Float]] {
        let dimension = index.dimension
        var centres = centres
        var clusters = DenseClusters(dimension: dimension)
        for _ in 0..<iterations {
            clusters.setCentroids(centres)
            let assignment = clusters.nearest(rows: sample, in: index)
            var sums = [[Float]](repeating: [Float](repeating: 0, count: dimension), count: centres.count)
            var sizes = [Int](repeating: 0, count: centres.count)
            for (i, cluster) in assignment.enumerated() {
                let row = index.row(sample[i])
                let scale = index.codeScales[Int(sample[i])]
                sizes[Int(cluster)] += 1
                sums[Int(cluster)].withUnsafeMutableBufferPointer { sum in
                    for j in 0..<dimension { sum[j] += Float(row[j]) * scale }
                }
            }
            for c in centres.indices {
                if sizes[c] > 0, sums[c].contains(where: { $0 != 0 }) {
                    let members = Float(sizes[c])
                    centres[c] = sums[c].map { $0 / members }
                } else {
                    centres[c] = index.unitVector(of: sample[(c * 7919 + sizes.count) % sample.count])
                }
            }
        }
        return centres
    }

    init(dimension: Int) {
        self.dimension = dimension
    }

    private mutating func setCentroids(_ vectors: [[Float]]) {
        centroids = []
        centroids.reserveCapacity(vectors.count * dimension)
        centroidScales = []
        for vector in vectors {
            let (codes, scale) = DenseIndex.quantised(vector)
            centroids.append(contentsOf: codes)
            centroidScales.append(scale)
        }
    }

    /// Files `doc` (its 8-bit vector at `row`) under its nearest centroid, retiring any
    /// earlier entry.
    mutating func add(_ doc: Int32, row: UnsafePointer<Int8>, scale: Float) {
        guard count > 0 else { return }
        remove(doc)
        while Int(doc) >= entries.count / 2 { entries.append(contentsOf: [-1, -1]) }
        append(doc, to: nearest(row), row: row, scale: scale)
    }

    /// `doc`'s 8-bit row in its list; nil when it has none (never filed, or removed).
    @inline(__always)
    func row(of doc: Int32) -> UnsafePointer<Int8>? {
        guard Int(doc) < entries.count / 2 else { return nil }
        let entry = entries.row(Int(doc))
        guard entry[0] >= 0 else { return nil }
        return lists[Int(entry[0])].codes.address(of: Int(entry[1]) * dimension)
    }

    /// The scale filed with `doc`'s row (0 when it has none).
    func scale(of doc: Int32) -> Float {
        guard Int(doc) < entries.count / 2 else { return 0 }
        let entry = entries.row(Int(doc))
        return entry[0] >= 0 ? lists[Int(entry[0])].scales[Int(entry[1])] : 0
    }

    /// Retires `doc`'s entry, if it has one: scans no longer return it.
    mutating func remove(_ doc: Int32) {
        guard Int(doc) < entries.count / 2 else { return }
        let entry = entries.row(Int(doc))
        let (cluster, position) = (Int(entry[0]), Int(entry[1]))
        guard cluster >= 0 else { return }
        lists[cluster].scales[position] = 0
        entries.setRow(Int(doc), [-1, -1])
    }

    private mutating func append(_ doc: Int32, to cluster: Int32, row: UnsafePointer<Int8>, scale: Float) {
        let position = lists[Int(cluster)].docs.count
        lists[Int(cluster)].docs.append(doc)
        lists[Int(cluster)].codes.append(contentsOf: UnsafeBufferPointer(start: row, count: dimension))
        lists[Int(cluster)].scales.append(scale)
        entries.setRow(Int(doc), [cluster, Int32(position)])
    }

    /// The nearest centroid of an 8-bit row (the row's own scale does not change which).
    func nearest(_ row: UnsafePointer<Int8>) -> Int32 {
        centroids.withUnsafeBufferPointer { matrix in
            var best: Int32 = 0
            var bestScore = -Float.infinity
            for c in 0..<count {
                let score = Float(pb_dot_i8(row, matrix.baseAddress! + c * dimension, Int32(dimension))) * centroidScales[c]
                if score > bestScore {
                    bestScore = score
                    best = Int32(c)
                }
            }
            return best
        }
    }

    /// Nearest centroids of many rows, on all cores (an AVX2 kernel in C, four rows a pass).
    private func nearest(rows: [Int32], in index: DenseIndex) -> [Int32] {
        var result = [Int32](repeating: 0, count: rows.count)
        let chunk = 1024
        let chunks = (rows.count + chunk - 1) / chunk
        result.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            centroids.withUnsafeBufferPointer { matrix in
                centroidScales.withUnsafeBufferPointer { scales in
                    nonisolated(unsafe) let (matrix, scales) = (matrix, scales)
                    DispatchQueue.concurrentPerform(iterations: chunks) { part in
                        let range = part * chunk..<min(rows.count, (part + 1) * chunk)
                        let pointers: [UnsafePointer<Int8>?] = range.map { index.row(rows[$0]) }
                        pb_nearest_i8(
                            pointers,
                            Int32(range.count),
                            matrix.baseAddress!,
                            scales.baseAddress!,
                            Int32(count),
                            Int32(dimension),
                            out.baseAddress! + range.lowerBound
                        )
                    }
                }
            }
        }
        return result
    }

    /// The `probes` clusters whose centroids score best against an 8-bit query.
    func closest(to query: UnsafePointer<Int8>, probes: Int) -> [Int32] {
        var top = TopK(k: probes)
        centroids.withUnsafeBufferPointer { matrix in
            for c in 0..<count {
                let score = Float(pb_dot_i8(query, matrix.baseAddress! + c * dimension, Int32(dimension))) * centroidScales[c]
                top.insert(ScoredDoc(doc: Int32(c), score: score))
            }
        }
        return top.sorted().map(\.doc)
    }
}
