/// What the search indexes know about a paper. The store owns everything else.
public struct SearchDocument: Sendable, Hashable {
    public var id: String
    public var title: String
    public var abstract: String
    public var authors: [String]

    public init(id: String, title: String, abstract: String = "", authors: [String] = []) {
        self.id = id
        self.title = title
        self.abstract = abstract
        self.authors = authors
    }
}

/// A result from one retriever: the index-internal document number and its score.
/// Internal numbers let fusion and filters work without hashing string ids.
public struct ScoredDoc: Sendable, Hashable {
    public var doc: Int32
    public var score: Float

    public init(doc: Int32, score: Float) {
        self.doc = doc
        self.score = score
    }
}
