import PaperboySearch
import Testing

/// The ranking the server and `paperboy eval` share.
@Suite struct HybridRankerTests {
    let lexical = LexicalIndex(documents: Fixtures.papers)

    /// Each paper gets a vector pointing along its own axis; a query vector between two papers'
    /// axes finds those two.
    func denseIndex(dimension: Int = 8) -> DenseIndex {
        var dense = DenseIndex(dimension: dimension)
        for (position, paper) in Fixtures.papers.enumerated() {
            var vector = [Float](repeating: 0.01, count: dimension)
            vector[position % dimension] = 1
            dense.upsert(id: paper.id, vector: vector)
        }
        return dense
    }

    @Test func lexicalModeIsBM25AndNeverAsksForAVector() {
        let ranked = HybridRanker.rank("attention transformer", mode: .lexical, lexical: lexical, dense: denseIndex(), depth: 10) {
            Issue.record("lexical ranking embedded the query")
            return nil
        }
        #expect(ranked.map(\.id) == lexical.search("attention transformer", k: 10).map(\.id))
        #expect(ranked.first?.id == "1706.03762")
    }

    @Test func hybridIsLexicalWhileThereAreNoVectors() {
        let empty = DenseIndex(dimension: 8)
        let ranked = HybridRanker.rank("attention", mode: .hybrid, lexical: lexical, dense: empty, depth: 10) { [Float](repeating: 1, count: 8) }
        #expect(ranked.map(\.id) == lexical.search("attention", k: 10).map(\.id))
    }

    @Test func hybridFusesBothListsAndScoresLexicalCandidatesDensely() {
        let dense = denseIndex()
        var query = [Float](repeating: 0, count: 8)
        query[2] = 1
        query[3] = 1
        let vector = query
        let denseOnly = HybridRanker.rank("attention", mode: .dense, lexical: lexical, dense: dense, depth: 3) { vector }
        #expect(Set(denseOnly.prefix(2).map(\.id)) == [Fixtures.papers[2].id, Fixtures.papers[3].id])

        let hybrid = HybridRanker.rank("attention", mode: .hybrid, lexical: lexical, dense: dense, depth: 3) { vector }
        let keyword = lexical.search("attention", k: 3)
        let candidates = keyword.compactMap { dense.internalID(of: $0.id) }
        let semantic = dense.searchWithPassages(vector, k: 3, including: candidates).map { (dense.externalID(of: $0.doc), $0.score) }
        let expected = Fusion.hybrid(lexical: keyword, dense: semantic, limit: 3)
        #expect(hybrid.map(\.id) == expected.map(\.id))
        #expect(hybrid.contains { $0.id == "1706.03762" }, "the lexical match stays in the fused list")
    }
}
