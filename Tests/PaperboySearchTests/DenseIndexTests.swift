import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite struct DenseIndexTests {
    static func randomVectors(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
    }

    /// The reference: cosine computed the slow, obvious way.
    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).map { $0 * $1 }.reduce(0, +)
        let na = a.map { $0 * $0 }.reduce(0, +).squareRoot()
        let nb = b.map { $0 * $0 }.reduce(0, +).squareRoot()
        return dot / (na * nb)
    }

    /// What the index computes: the unit query's dot product with the stored 8-bit row (whose
    /// length is 1 only up to rounding).
    static func storedScore(_ query: [Float], _ index: DenseIndex, _ doc: Int32) -> Float {
        let norm = query.map { $0 * $0 }.reduce(0, +).squareRoot()
        return zip(query, index.vector(of: doc)).map { $0 / norm * $1 }.reduce(0, +)
    }

    @Test(arguments: [384, 7, 16, 33])
    func topKMatchesBruteForceCosine(dimension: Int) {
        let vectors = Self.randomVectors(count: 500, dimension: dimension, seed: UInt64(dimension))
        var index = DenseIndex(dimension: dimension)
        for (i, v) in vectors.enumerated() {
            let stored = index.upsert(id: "v\(i)", vector: v)
            #expect(stored)
        }
        let query = Self.randomVectors(count: 1, dimension: dimension, seed: 99)[0]
        // Exact with respect to what is stored: brute force over the stored 8-bit rows.
        let stored = vectors.indices.map { (i: $0, s: Self.storedScore(query, index, Int32($0))) }.sorted { $0.s > $1.s }
        let original = Dictionary(uniqueKeysWithValues: vectors.indices.map { ($0, Self.cosine(query, vectors[$0])) })
        for mode in [DenseSearchMode.exact, .quantized(candidates: 100)] {
            let got = index.search(query, k: 10, mode: mode)
            #expect(got.map { Int($0.doc) } == stored.prefix(10).map(\.i), "\(mode)")
            for (g, e) in zip(got, stored) {
                #expect(abs(g.score - e.s) < 1e-4)
                // Rows are kept at 8 bits: within a few thousandths of the float32 cosine.
                #expect(abs(g.score - original[Int(g.doc)]!) < 4e-3)
            }
        }
    }

    @Test func aVectorIsItsOwnNearestNeighbourWithCosineOne() {
        let vectors = Self.randomVectors(count: 50, dimension: 384, seed: 1)
        var index = DenseIndex(dimension: 384)
        for (i, v) in vectors.enumerated() { index.upsert(id: "v\(i)", vector: v.map { $0 * 10 }) }
        let best = index.search(vectors[17], k: 1)[0]
        #expect(index.externalID(of: best.doc) == "v17")
        #expect(abs(best.score - 1) < 1e-3)  // the 8-bit row against the float32 query
    }

    /// With as many candidates as vectors, the int8 × int8 scan only shortlists and the float32
    /// query's rescoring decides, so it must equal the exact scan; even a tight shortlist keeps most
    /// of the true top 10 of these random vectors.
    @Test func quantisedScanRescoresExactly() {
        let vectors = Self.randomVectors(count: 300, dimension: 384, seed: 3)
        var index = DenseIndex(dimension: 384)
        for (i, v) in vectors.enumerated() { index.upsert(id: "v\(i)", vector: v) }
        for seed in 100..<110 as Range<UInt64> {
            let query = Self.randomVectors(count: 1, dimension: 384, seed: seed)[0]
            let exact = index.search(query, k: 10, mode: .exact)
            #expect(index.search(query, k: 10, mode: .quantized(candidates: 300)) == exact)
            let tight = index.search(query, k: 10, mode: .quantized(candidates: 20))
            #expect(Set(tight.map(\.doc)).intersection(exact.map(\.doc)).count >= 8)
            #expect(tight.allSatisfy { hit in abs(hit.score - Self.storedScore(query, index, hit.doc)) < 1e-4 })
            #expect(tight.allSatisfy { hit in abs(hit.score - Self.cosine(query, vectors[Int(hit.doc)])) < 4e-3 })
        }
    }

    @Test func filterAndRemoveExcludeRows() {
        var index = DenseIndex(dimension: 3)
        index.upsert(id: "x", vector: [1, 0, 0])
        index.upsert(id: "near-x", vector: [0.9, 0.1, 0])
        index.upsert(id: "y", vector: [0, 1, 0])
        let x = index.internalID(of: "x")!
        for mode in [DenseSearchMode.exact, .quantized(candidates: 2)] {
            let filtered = index.search([1, 0, 0], k: 1, filter: { $0 != x }, mode: mode)
            #expect(filtered.map { index.externalID(of: $0.doc) } == ["near-x"])
        }
        index.remove(id: "near-x")
        #expect(index.search([1, 0, 0], k: 3).map { index.externalID(of: $0.doc) } == ["x", "y"])
        #expect(index.search([1, 0, 0], k: 3, mode: .exact).map { index.externalID(of: $0.doc) } == ["x", "y"])
        #expect(index.count == 2)
    }

    @Test func upsertReplacesAVector() {
        var index = DenseIndex(dimension: 2)
        index.upsert(id: "a", vector: [1, 0])
        index.upsert(id: "b", vector: [0, 1])
        index.upsert(id: "a", vector: [0, -1])
        #expect(index.count == 2)
        #expect(index.search([0, -1], k: 1).map { index.externalID(of: $0.doc) } == ["a"])
        #expect(index.search([0, -1], k: 1, mode: .exact).map { index.externalID(of: $0.doc) } == ["a"])
    }

    @Test func rejectsBadVectorsAndQueries() {
        var index = DenseIndex(dimension: 4)
        let stored = [
            index.upsert(id: "short", vector: [1, 2]), index.upsert(id: "zero", vector: [0, 0, 0, 0]),
            index.upsert(id: "nan", vector: [.nan, 0, 0, 1]),
        ]
        #expect(stored == [false, false, false])
        #expect(index.count == 0)
        index.upsert(id: "ok", vector: [1, 2, 3, 4])
        #expect(index.search([1, 2], k: 5).isEmpty)
        #expect(index.search([0, 0, 0, 0], k: 5).isEmpty)
        #expect(index.search([1, 2, 3, 4], k: 0).isEmpty)
        #expect(index.search([1, 2, 3, 4], k: 5).count == 1)
    }
}

@Suite struct TopKTests {
    @Test func keepsTheBestKWithLowerIDsWinningTies() {
        var top = TopK(k: 3)
        for (doc, score) in [(5, 1.0), (1, 3.0), (2, 2.0), (9, 3.0), (4, 0.5), (3, 2.0)] as [(Int32, Float)] {
            top.insert(ScoredDoc(doc: doc, score: score))
        }
        #expect(top.sorted().map(\.doc) == [1, 9, 2])
        var none = TopK(k: 0)
        none.insert(ScoredDoc(doc: 1, score: 1))
        #expect(none.sorted().isEmpty)
    }
}
