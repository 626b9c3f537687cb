/// The documents containing one term, in increasing internal-id order, with each
/// document's precomputed BM25 impact (everything except idf, which depends on the
/// collection and is applied at query time).
struct PostingList: Sendable {
    var docs: [UInt32] = []
    var impacts: [Float] = []
    /// Largest impact in the list: an upper bound on what the term can add to any document.
    var maxImpact: Float = 0

    var count: Int { docs.count }

    mutating func append(doc: UInt32, impact: Float) {
        docs.append(doc)
        impacts.append(impact)
        maxImpact = max(maxImpact, impact)
    }
}
