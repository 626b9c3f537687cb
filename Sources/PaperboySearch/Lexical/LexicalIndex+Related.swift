import Foundation

extension LexicalIndex {
    /// Papers related to `document` ("more like this"). Its terms, counted with the index's
    /// field weights (so title words and shared authors count more), are ranked by
    /// tf × idf; the top `maxQueryTerms` become a query weighted idf × (1 + ln tf).
    /// The document itself is never returned.
    ///
    /// On CACM citation links (precision@10) this scored 0.108, against 0.100 for plain
    /// title + abstract with unweighted terms; 32 terms did as well as 64.
    public func related(
        to document: SearchDocument,
        k: Int = 10,
        maxQueryTerms: Int = 32,
        filter: ((Int32) -> Bool)? = nil
    ) -> [ScoredDoc] {
        var frequencies: [Int32: Float] = [:]
        let fields = [
            (document.title, parameters.titleWeight), (document.abstract, parameters.abstractWeight),
            (document.authors.joined(separator: ", "), parameters.authorsWeight),
        ]
        for (text, weight) in fields where weight > 0 {
            analyzer.tokens(text) { token in
                guard let term = analyzer.term(forToken: token), let id = vocabulary.id(of: term) else { return }
                frequencies[id, default: 0] += weight
            }
        }
        let chosen = frequencies.map { term, tf in (term: term, tf: tf, idf: idf(of: term)) }
            .sorted { ($0.tf * $0.idf, $1.term) > ($1.tf * $1.idf, $0.term) }
            .prefix(maxQueryTerms)
            .map { WeightedTerm(term: $0.term, weight: $0.idf * (1 + log(max($0.tf, 1)))) }
        let own = internalID(of: document.id)
        let results = score(chosen, k: k + 1) { doc in
            doc != own && (filter?(doc) ?? true)
        }
        return Array(results.prefix(k))
    }
}
