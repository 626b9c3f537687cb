import CVectorKernels
import Foundation

extension DenseIndex {
    /// Below this many vectors the full 8-bit scan is fast enough (about 3 ms at 100,000, no
    /// slower than reading `rowsPerQuery` rows through the clusters) and exact, so
    /// `clusterIfLarge` leaves the index unclustered.
    public static let clusteringThreshold = 100_000

    /// About how many rows a clustered search reads (unless `probes` is set): the nearest
    /// clusters until they hold this many on average. Chosen on real MiniLM vectors repeated to
    /// a million (BENCHMARKS.md): 269 of 4,194 clusters, recall@10 0.942 against exact search
    /// on the 50,000-vector sample. Smaller indexes read a larger share of their rows, so their
    /// recall is higher; the cost of a query stays about the same at every size.
    public static let rowsPerQuery = 64_000

    /// The clusters a search reads now: `probes`, or enough for `rowsPerQuery` rows.
    public var probeCount: Int {
        guard let clusters, clusters.count > 0 else { return 0 }
        if let probes { return min(max(1, probes), clusters.count) }
        let averageList = max(1, Double(clusters.trainedCount) / Double(clusters.count))
        return min(clusters.count, max(1, Int((Double(DenseIndex.rowsPerQuery) / averageList).rounded(.up))))
    }

    /// The cluster count `cluster()` uses for `count` vectors: about 4 √count, so a list holds
    /// about √count / 4 rows (4,000 clusters of ~250 at a million). Finer clusters find more of
    /// the true top 10 for the same rows read (at a million, 1,500 clusters: recall 0.903 with
    /// 64,000 rows; 4,000: 0.943), and training them (with the hubs split, 4,194 in the end)
    /// takes 50 s instead of 11 s on two cores, in the background.
    public static func defaultClusterCount(for count: Int) -> Int {
        max(1, Int((4 * Double(count).squareRoot()).rounded()))
    }

    /// Whether searches read an inverted file (`cluster()`) rather than every row.
    public var isClustered: Bool { clusters != nil }

    /// Clusters trained, 0 when unclustered.
    public var clusterCount: Int { clusters?.count ?? 0 }

    /// How many vectors the clusters were trained on, 0 when unclustered: it changes with
    /// every training.
    public var clusterTrainingSize: Int { clusters?.trainedCount ?? 0 }

    /// Groups the vectors into `clusterCount` clusters (an inverted file, `DenseClusters`), so
    /// that searches read only the clusters nearest to each query (`probeCount`). Vectors added
    /// later join their nearest cluster; retrain when the index has grown a lot (the engine
    /// does it when the count has doubled since training).
    public mutating func cluster(clusterCount: Int? = nil) {
        adopt(DenseClusters.train(self, clusterCount: clusterCount ?? DenseIndex.defaultClusterCount(for: count)))
    }

    /// Whether `clusterIfLarge` would train: at least `clusteringThreshold` vectors, and
    /// never clustered or doubled since.
    public var needsClustering: Bool {
        guard count >= DenseIndex.clusteringThreshold else { return false }
        guard let clusters else { return true }
        return count >= 2 * clusters.trainedCount
    }

    /// Clusters the index when `needsClustering`; returns whether it trained.
    @discardableResult
    public mutating func clusterIfLarge() -> Bool {
        guard needsClustering else { return false }
        cluster()
        return true
    }

    /// Clusters trained on this index's vectors as they are now, without changing it: train
    /// on a snapshot while writers go on, then `adopt` them into the live index.
    public func trainedClusters() -> DenseClusters {
        DenseClusters.train(self, clusterCount: DenseIndex.defaultClusterCount(for: count))
    }

    /// Starts searching `clusters` (trained on an earlier state of this index by
    /// `trainedClusters`, or on this one), which from now on hold the only copy of the rows.
    /// Vectors added or replaced since the training's snapshot are filed anew, and those
    /// removed since are retired.
    public mutating func adopt(_ trained: DenseClusters) {
        let before = self  // holds the current rows while they move
        clusters = trained
        codes = ChunkedArray(rowLength: dimension, rowShift: DenseIndex.rowShift)
        for doc in 0..<Int32(internalIDLimit) {
            guard isLive[Int(doc)] else {
                clusters!.remove(doc)  // removed since the snapshot
                continue
            }
            let current = before.row(doc)
            if let filed = trained.row(of: doc), trained.scale(of: doc) == codeScales[Int(doc)],
                memcmp(filed, current, dimension) == 0
            {
                continue
            }
            clusters!.add(doc, row: current, scale: codeScales[Int(doc)])
        }
    }

    /// How many vectors each cluster holds (empty when unclustered), for benchmarks.
    public var clusterSizes: [Int] { clusters?.lists.map(\.docs.count) ?? [] }

    /// How many rows a clustered search for `vector` reads (`count` when unclustered).
    public func rowsRead(for vector: [Float]) -> Int {
        guard let clusters, let unit = DenseIndex.normalised(vector) else { return count }
        let (queryCodes, _) = DenseIndex.quantised(unit)
        return queryCodes.withUnsafeBufferPointer { query in
            clusters.closest(to: query.baseAddress!, probes: probeCount).reduce(0) { $0 + clusters.lists[Int($1)].docs.count }
        }
    }

    /// Files a new or replaced row under its nearest cluster.
    mutating func fileInCluster(_ doc: Int32, _ row: [Int8]) {
        guard clusters != nil else { return }
        row.withUnsafeBufferPointer { clusters!.add(doc, row: $0.baseAddress!, scale: codeScales[Int(doc)]) }
    }

    /// The best `k` rows by 8-bit score: from the nearest clusters when clustered (falling
    /// back to the full scan when a filter leaves fewer than `k`), else from every row.
    func shortlist(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        guard let clusters else { return quantisedScan(unit, k: k, filter: filter) }
        let found = clusteredScan(unit, k: k, clusters: clusters, filter: filter)
        if filter != nil, found.count < k { return quantisedScan(unit, k: k, filter: filter) }
        return found
    }

    private func clusteredScan(_ unit: [Float], k: Int, clusters: DenseClusters, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        let (queryCodes, queryScale) = DenseIndex.quantised(unit)
        var top = TopK(k: k)
        var raw: [Int32] = []
        queryCodes.withUnsafeBufferPointer { query in
            for cluster in clusters.closest(to: query.baseAddress!, probes: probeCount) {
                let list = clusters.lists[Int(cluster)]
                // The whole list's dot products in one call (an AVX2 kernel), then the top k.
                if raw.count < list.scales.count { raw = [Int32](repeating: 0, count: list.scales.count * 2) }
                list.codes.withUnsafeBufferPointer { codes in
                    raw.withUnsafeMutableBufferPointer { out in
                        guard let rows = codes.baseAddress else { return }
                        pb_dots_i8(query.baseAddress!, rows, Int32(list.scales.count), Int32(dimension), out.baseAddress!)
                    }
                    for (i, scale) in list.scales.enumerated() where scale > 0 {
                        let candidate = ScoredDoc(doc: list.docs[i], score: Float(raw[i]) * scale * queryScale)
                        guard top.admits(candidate) else { continue }
                        if let filter, !filter(candidate.doc) { continue }
                        top.insert(candidate)
                    }
                }
            }
        }
        return top.sorted()
    }
}
