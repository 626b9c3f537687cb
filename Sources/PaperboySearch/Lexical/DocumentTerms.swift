/// One document's terms with their field-weighted frequencies, and its weighted length.
struct DocumentTerms {
    var terms: [Int32] = []
    var frequencies: [Float] = []
    var length: Float = 0
}

/// Maps words to term ids while documents are analyzed. Caches the analysis of each distinct
/// token, because stemming the same word millions of times is most of the cost of a build.
struct TermAnalysis {
    let analyzer: Analyzer
    private var tokenCache = TokenTable()  // token bytes -> term id, or -1 for a stopword
    /// Per-term frequency of the document being analyzed (dense, indexed by term id).
    private var frequencyScratch: [Float] = []
    private var touched: [Int32] = []

    /// `expectedDocuments` sizes the token cache: a bulk build wants a big one, a single
    /// upsert a small one.
    init(analyzer: Analyzer, expectedDocuments: Int) {
        self.analyzer = analyzer
        self.tokenCache = TokenTable(capacity: min(1 << 17, 256 + expectedDocuments * 16))
    }

    /// Term id for `token`, adding new terms to `vocabulary`; nil for stopwords.
    private mutating func termID(
        forToken token: UnsafeBufferPointer<UInt8>,
        vocabulary: inout Vocabulary
    ) -> Int32? {
        if let cached = tokenCache.value(for: token) { return cached < 0 ? nil : cached }
        var id: Int32 = -1
        if let term = analyzer.term(forToken: String(decoding: token, as: UTF8.self)) {
            id = vocabulary.id(adding: term)
        }
        if tokenCache.count < 4_000_000 { tokenCache.insert(token, value: id) }
        return id < 0 ? nil : id
    }

    mutating func analyze(
        _ document: SearchDocument,
        parameters: BM25Parameters,
        vocabulary: inout Vocabulary
    ) -> DocumentTerms {
        var result = DocumentTerms()
        addField(document.title, weight: parameters.titleWeight, to: &result, vocabulary: &vocabulary)
        addField(document.abstract, weight: parameters.abstractWeight, to: &result, vocabulary: &vocabulary)
        for author in document.authors {
            addField(author, weight: parameters.authorsWeight, to: &result, vocabulary: &vocabulary)
        }
        // Term order within a document does not matter: postings stay in document order.
        result.terms.reserveCapacity(touched.count)
        result.frequencies.reserveCapacity(touched.count)
        for term in touched {
            result.terms.append(term)
            result.frequencies.append(frequencyScratch[Int(term)])
            frequencyScratch[Int(term)] = 0
        }
        touched.removeAll(keepingCapacity: true)
        return result
    }

    private mutating func addField(
        _ text: String,
        weight: Float,
        to result: inout DocumentTerms,
        vocabulary: inout Vocabulary
    ) {
        guard weight > 0, !text.isEmpty else { return }
        let analyzer = self.analyzer  // a copy, so the closure below may mutate self
        analyzer.tokenBytes(text) { token in
            guard let id = termID(forToken: token, vocabulary: &vocabulary) else { return }
            let slot = Int(id)
            if slot >= frequencyScratch.count {
                frequencyScratch.append(
                    contentsOf: repeatElement(0, count: max(1024, slot + 1 - frequencyScratch.count))
                )
            }
            if frequencyScratch[slot] == 0 { touched.append(id) }
            frequencyScratch[slot] += weight
            result.length += weight
        }
    }
}

/// The index's terms and their ids.
struct Vocabulary: Sendable {
    private(set) var terms: [String] = []
    private var ids: [String: Int32] = [:]

    var count: Int { terms.count }

    func id(of term: String) -> Int32? { ids[term] }

    mutating func id(adding term: String) -> Int32 {
        if let id = ids[term] { return id }
        let id = Int32(terms.count)
        terms.append(term)
        ids[term] = id
        return id
    }
}

extension Vocabulary {
    /// The vocabulary whose term `i` is `terms[i]` (reading an index file).
    init(terms: [String]) throws {
        self.terms = terms
        ids.reserveCapacity(terms.count)
        for (id, term) in terms.enumerated() {
            guard ids.updateValue(Int32(id), forKey: term) == nil else { throw IndexFileError("a term is listed twice") }
        }
    }
}
