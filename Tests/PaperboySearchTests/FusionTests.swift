import PaperboySearch
import Testing

@Suite struct FusionTests {
    let lexical: [(id: String, score: Float)] = [("a", 12), ("b", 8), ("c", 2)]
    let dense: [(id: String, score: Float)] = [("c", 0.9), ("a", 0.8), ("d", 0.5)]

    @Test func reciprocalRankAddsOneOverKPlusRank() {
        let fused = Fusion.reciprocalRank([.init(lexical), .init(dense)], k: 60, limit: 10)
        let scores = Dictionary(uniqueKeysWithValues: fused.map { ($0.id, $0.score) })
        #expect(abs(scores["a"]! - (1.0 / 61 + 1.0 / 62)) < 1e-6)
        #expect(abs(scores["c"]! - (1.0 / 63 + 1.0 / 61)) < 1e-6)
        #expect(abs(scores["b"]! - 1.0 / 62) < 1e-6)
        #expect(abs(scores["d"]! - 1.0 / 63) < 1e-6)
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
    }

    @Test func reciprocalRankWeightsFavourOneList() {
        let fused = Fusion.reciprocalRank([.init(lexical, weight: 0.2), .init(dense, weight: 1)], k: 60, limit: 2)
        #expect(fused.map(\.id) == ["c", "a"])
    }

    @Test func hybridIsNormalizedScoreFusionWithDenseWeightedPointEightFive() {
        let hybrid = Fusion.hybrid(lexical: lexical, dense: dense, limit: 10)
        let expected = Fusion.normalizedScore([.init(lexical), .init(dense, weight: 0.85)], limit: 10)
        #expect(hybrid.map(\.id) == expected.map(\.id))
        #expect(zip(hybrid, expected).allSatisfy { $0.score == $1.score })
        // a = 1 + 0.85 × 0.75, c = 0 + 0.85 × 1, b = 0.6, d = 0.
        #expect(abs(hybrid[0].score - (1 + 0.85 * 0.75)) < 1e-6)
        #expect(hybrid.map(\.id) == ["a", "c", "b", "d"])
    }

    @Test func normalizedScoreUsesMinMaxPerList() {
        // lexical: a=1, b=0.6, c=0; dense: c=1, a=0.75, d=0.
        let fused = Fusion.normalizedScore([.init(lexical), .init(dense)], limit: 10)
        let scores = Dictionary(uniqueKeysWithValues: fused.map { ($0.id, $0.score) })
        #expect(abs(scores["a"]! - 1.75) < 1e-6)
        #expect(abs(scores["b"]! - 0.6) < 1e-6)
        #expect(abs(scores["c"]! - 1.0) < 1e-6)
        #expect(abs(scores["d"]! - 0.0) < 1e-6)
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
    }

    @Test func normalizedScoreHandlesConstantAndEmptyLists() {
        let flat: [(id: String, score: Float)] = [("x", 3), ("y", 3)]
        let fused = Fusion.normalizedScore([.init(flat, weight: 0.5), .init([])], limit: 10)
        #expect(fused.map(\.id) == ["x", "y"])
        #expect(fused.allSatisfy { $0.score == 0.5 })
        #expect(Fusion.normalizedScore([RankedList<String>](), limit: 5).isEmpty)
    }

    @Test func tiesKeepFirstAppearanceAndLimitApplies() {
        let fused = Fusion.reciprocalRank([.init(ids: ["p", "q"]), .init(ids: ["q", "p"])], limit: 10)
        #expect(fused.map(\.id) == ["p", "q"])
        #expect(Fusion.reciprocalRank([.init(ids: ["p", "q"])], limit: 1).map(\.id) == ["p"])
        #expect(Fusion.reciprocalRank([.init(ids: ["p"])], limit: 0).isEmpty)
    }

    @Test func worksWithInternalIDs() {
        let fused = Fusion.reciprocalRank([.init(ids: [Int32(3), 1]), .init(ids: [Int32(1)])], limit: 5)
        #expect(fused.map(\.id) == [1, 3])
    }
}

typealias RankedList = Fusion.RankedList
