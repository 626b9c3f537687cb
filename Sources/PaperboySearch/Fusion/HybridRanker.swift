/// How a query is ranked, in one place: the server's search engine and `paperboy eval` both
/// call `rank`, so an evaluation measures what readers get.
///
/// Lexical: BM25 top `depth`. Dense: the papers nearest to the query vector, plus (in hybrid
/// mode) the lexical candidates, each scored by its whole-paper cosine and its best sentence.
/// Hybrid: both lists fused (`Fusion.hybrid`); lexical alone when there are no vectors.
public enum HybridRanker {
    public enum Mode: String, Sendable, CaseIterable {
        case hybrid, lexical, dense
    }

    /// Ranked `(id, score)`, best first, at most `depth` long. `vector` is asked for only when
    /// the mode needs it and the dense index has vectors.
    public static func rank(
        _ query: String,
        mode: Mode,
        lexical: LexicalIndex,
        dense: DenseIndex,
        depth: Int,
        lexicalFilter: ((Int32) -> Bool)? = nil,
        denseFilter: ((Int32) -> Bool)? = nil,
        vector: () -> [Float]?
    ) -> [(id: String, score: Float)] {
        func keyword() -> [(id: String, score: Float)] {
            lexical.search(query, k: depth, filter: lexicalFilter)
        }
        func semantic(including lexicalHits: [(id: String, score: Float)] = []) -> [(id: String, score: Float)] {
            guard dense.count > 0, let vector = vector() else { return [] }
            let extra = lexicalHits.compactMap { dense.internalID(of: $0.id) }
            return dense.searchWithPassages(vector, k: depth, including: extra, filter: denseFilter)
                .map { (dense.externalID(of: $0.doc), $0.score) }
        }
        switch mode {
        case .lexical:
            return keyword()
        case .dense:
            return semantic()
        case .hybrid:
            let lexicalHits = keyword()
            let denseHits = semantic(including: lexicalHits)
            return denseHits.isEmpty ? lexicalHits : Fusion.hybrid(lexical: lexicalHits, dense: denseHits, limit: depth)
        }
    }
}
