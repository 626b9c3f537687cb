import PaperboyCore
import Testing

@testable import PaperboySearch

/// The clustered (inverted file) dense search against the exact scan.
@Suite struct DenseClustersTests {
    static let dimension = 48

    /// Vectors around `centers` random directions, like papers around topics.
    static func topicalVectors(count: Int, centers: Int, seed: UInt64, noiseSeed: UInt64 = 0) -> [[Float]] {
        let directions = DenseIndexTests.randomVectors(count: centers, dimension: dimension, seed: seed)
        var random = SplitMix64(seed: seed + 1 + noiseSeed)
        return (0..<count).map { i in
            directions[i % centers].map { $0 + Float.random(in: -0.6...0.6, using: &random) }
        }
    }

    static func index(_ vectors: [[Float]]) -> DenseIndex {
        var index = DenseIndex(dimension: dimension)
        for (i, vector) in vectors.enumerated() { index.upsert(id: "v\(i)", vector: vector) }
        return index
    }

    static func ids(_ hits: [ScoredDoc], _ index: DenseIndex) -> [String] { hits.map { index.externalID(of: $0.doc) } }

    @Test func readingEveryClusterGivesTheScansResults() {
        let vectors = Self.topicalVectors(count: 3_000, centers: 40, seed: 1)
        var index = Self.index(vectors)
        let queries = Self.topicalVectors(count: 30, centers: 40, seed: 1, noiseSeed: 100)
        let scanned = queries.map { Self.ids(index.search($0, k: 10), index) }
        index.cluster(clusterCount: 50)
        #expect(index.isClustered)
        #expect(index.clusterCount == 50)
        // Left to itself, a small index reads every cluster (fewer rows than `rowsPerQuery`).
        #expect(index.probeCount == 50)
        #expect(queries.map { Self.ids(index.search($0, k: 10), index) } == scanned)
        index.probes = 5
        #expect(index.probeCount == 5)
    }

    /// 7 components: the assignment kernel's path for rows that are not whole 16-byte blocks.
    @Test func oddDimensionsClusterToo() {
        let vectors = DenseIndexTests.randomVectors(count: 600, dimension: 7, seed: 12)
        var index = DenseIndex(dimension: 7)
        for (i, vector) in vectors.enumerated() { index.upsert(id: "v\(i)", vector: vector) }
        let queries = DenseIndexTests.randomVectors(count: 10, dimension: 7, seed: 13)
        let scanned = queries.map { Self.ids(index.search($0, k: 10), index) }
        index.cluster(clusterCount: 12)
        #expect(index.clusterCount == 12)
        #expect(queries.map { Self.ids(index.search($0, k: 10), index) } == scanned)
    }

    /// Three quarters of the vectors crowd one direction (a hub, as generic abstracts do):
    /// training splits its cluster, so a query near the hub reads a part of it, while searches
    /// still find what the scan finds.
    @Test func aHubIsSplitIntoClustersOfAboutTheAverageSize() {
        var random = SplitMix64(seed: 31)
        let hub = DenseIndexTests.randomVectors(count: 1, dimension: Self.dimension, seed: 30)[0]
        let crowded = (0..<3_000).map { _ in hub.map { $0 + Float.random(in: -0.08...0.08, using: &random) } }
        let vectors = crowded + Self.topicalVectors(count: 1_000, centers: 20, seed: 32)
        var index = Self.index(vectors)
        let queries = Array(crowded.prefix(10))
        let scanned = queries.map { Self.ids(index.search($0, k: 10), index) }
        index.cluster(clusterCount: 20)
        let sizes = index.clusterSizes
        #expect(sizes.reduce(0, +) == vectors.count)
        #expect(index.clusterCount > 20, "the hub's cluster is split into several")
        // Unsplit, the hub's cluster holds about 2,400. Split, one part still holds about
        // 1,500: scoring by dot product, the longest of near-equal means draws more than its
        // share (BENCHMARKS.md, stop 24).
        #expect(sizes.max()! < 2_000, "\(sizes.sorted())")
        index.probes = 1
        #expect(queries.allSatisfy { index.rowsRead(for: $0) < 2_000 })
        index.probes = index.clusterCount
        #expect(queries.map { Self.ids(index.search($0, k: 10), index) } == scanned)
    }

    @Test func aFewClustersFindMostOfTheExactTopTen() {
        let vectors = Self.topicalVectors(count: 4_000, centers: 60, seed: 2)
        var index = Self.index(vectors)
        index.cluster(clusterCount: 80)
        index.probes = 8
        var found = 0
        let queries = Self.topicalVectors(count: 50, centers: 60, seed: 2, noiseSeed: 100)
        for query in queries {
            let exact = Set(index.search(query, k: 10, mode: .exact).map(\.doc))
            let clustered = index.search(query, k: 10)
            #expect(Set(clustered.map(\.doc)).count == clustered.count)
            found += exact.intersection(clustered.map(\.doc)).count
        }
        #expect(Double(found) / Double(10 * queries.count) >= 0.9)
    }

    @Test func papersAddedReplacedAndRemovedAfterClusteringAreSearchedRight() throws {
        var index = Self.index(Self.topicalVectors(count: 2_000, centers: 30, seed: 4))
        index.cluster(clusterCount: 40)
        index.probes = 4
        let fresh = DenseIndexTests.randomVectors(count: 3, dimension: Self.dimension, seed: 5)
        index.upsert(id: "new", vector: fresh[0])
        #expect(Self.ids(index.search(fresh[0], k: 1), index) == ["new"])

        // v7 moves to a new direction: found there once, and not returned twice.
        index.upsert(id: "v7", vector: fresh[1])
        let moved = index.search(fresh[1], k: 10)
        #expect(Self.ids(moved, index).first == "v7")
        #expect(Set(moved.map(\.doc)).count == moved.count)

        index.remove(id: "v7")
        #expect(!Self.ids(index.search(fresh[1], k: 10), index).contains("v7"))
    }

    @Test func aNarrowFilterStillGetsKResults() throws {
        var index = Self.index(Self.topicalVectors(count: 2_000, centers: 30, seed: 6))
        index.cluster(clusterCount: 40)
        index.probes = 2
        // Every 100th paper: most of them live in clusters the query does not read.
        let query = Self.topicalVectors(count: 1, centers: 30, seed: 6, noiseSeed: 100)[0]
        let hits = index.search(query, k: 10, filter: { $0 % 100 == 0 })
        #expect(hits.count == 10)
        #expect(hits.allSatisfy { $0.doc % 100 == 0 })
        #expect(hits.map(\.doc) == index.search(query, k: 10, filter: { $0 % 100 == 0 }, mode: .exact).map(\.doc))
    }

    @Test func clustersTrainedOnASnapshotFileWhatWasAddedSince() {
        let vectors = Self.topicalVectors(count: 2_500, centers: 30, seed: 8)
        var index = Self.index(Array(vectors.prefix(2_000)))
        let trained = index.trainedClusters()
        #expect(!index.isClustered)
        for i in 2_000..<2_500 { index.upsert(id: "v\(i)", vector: vectors[i]) }
        index.adopt(trained)
        index.probes = trained.count
        for i in stride(from: 2_000, to: 2_500, by: 50) {
            #expect(Self.ids(index.search(vectors[i], k: 1), index) == ["v\(i)"])
        }
    }

    @Test func aClusteredIndexHoldsEachRowOnceAndAdoptsVectorsReplacedOrRemovedDuringTraining() {
        let vectors = Self.topicalVectors(count: 2_000, centers: 20, seed: 10)
        var index = Self.index(vectors)
        let trained = index.trainedClusters()
        // While the clusters train on a snapshot: one vector replaced, one removed, one added.
        let elsewhere = DenseIndexTests.randomVectors(count: 2, dimension: Self.dimension, seed: 11)
        index.upsert(id: "v3", vector: elsewhere[0])
        index.remove(id: "v4")
        index.upsert(id: "new", vector: elsewhere[1])
        var flat = index  // the same vectors, never clustered
        flat.probes = nil
        index.adopt(trained)
        index.probes = trained.count
        #expect(index.codes.isEmpty, "the rows live in the clusters' lists only")
        for id in ["v3", "new", "v0", "v1999"] {
            let doc = index.internalID(of: id)!
            #expect(index.vector(of: doc) == flat.vector(of: doc), "\(id)")
        }
        #expect(Self.ids(index.search(elsewhere[0], k: 1), index) == ["v3"])
        #expect(Self.ids(index.search(elsewhere[1], k: 1), index) == ["new"])
        #expect(!Self.ids(index.search(vectors[4], k: 2_001, mode: .exact), index).contains("v4"))
        #expect(index.search(vectors[9], k: 50, mode: .exact) == flat.search(vectors[9], k: 50, mode: .exact))
        #expect(index.search(vectors[9], k: 50) == flat.search(vectors[9], k: 50))
        // Replacing a vector after clustering moves its only row.
        index.upsert(id: "v5", vector: elsewhere[0])
        #expect(index.vector(of: index.internalID(of: "v5")!) == index.vector(of: index.internalID(of: "v3")!))
    }

    @Test func theListKernelScoresAsTheScanDoes() {
        // 384 dimensions take the kernel's AVX2 path (a multiple of 32); 48 the per-row one.
        for dimension in [384, 48] {
            let vectors = DenseIndexTests.randomVectors(count: 600, dimension: dimension, seed: 12)
            var flat = DenseIndex(dimension: dimension)
            for (i, vector) in vectors.enumerated() { flat.upsert(id: "v\(i)", vector: vector) }
            var clustered = flat
            clustered.cluster(clusterCount: 7)
            let queries = DenseIndexTests.randomVectors(count: 10, dimension: dimension, seed: 13)
            for query in queries {
                // Reading every cluster, the clustered shortlist is the full scan's.
                #expect(clustered.search(query, k: 20) == flat.search(query, k: 20))
            }
        }
    }

    @Test func onlyLargeIndexesCluster() {
        var small = Self.index(Self.topicalVectors(count: 500, centers: 10, seed: 9))
        #expect(!small.needsClustering)
        let trained = small.clusterIfLarge()
        #expect(!trained)
        #expect(!small.isClustered)
        #expect(DenseIndex.defaultClusterCount(for: 1_000_000) == 4_000)
        #expect(small.probeCount == 0)
    }
}
