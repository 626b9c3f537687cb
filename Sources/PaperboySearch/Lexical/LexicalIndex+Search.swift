/// How a query's posting lists are turned into a top-k.
public enum ScoringStrategy: Sendable, Hashable, CaseIterable {
    /// Add up every posting of every query term, then select.
    case exhaustive
    /// Term-at-a-time MaxScore: once the terms left to process cannot lift an unseen document
    /// into the top k, only the documents still in contention are looked up in the remaining
    /// (long, low-idf) lists. Exact: returns the same results as `exhaustive`.
    case maxScore
    /// Document-at-a-time block-max MaxScore: skips whole blocks of postings whose maxima
    /// cannot reach the top k. Exact: returns the same results as `exhaustive`.
    case blockMax
    /// `blockMax` for queries with many postings on a large collection, `exhaustive` for the
    /// rest, whose streaming beats any bookkeeping (see `blockMaxMinimumDocuments`). Exact.
    case automatic

    /// The strategy named `name` (its case name), for command-line options.
    public init?(name: String) {
        guard let strategy = ScoringStrategy.allCases.first(where: { "\($0)" == name }) else { return nil }
        self = strategy
    }
}

extension LexicalIndex {
    /// A term of an analyzed query and how much each unit of its impact is worth (idf × repeats).
    struct WeightedTerm {
        var term: Int32
        var weight: Float
    }

    /// The best `k` documents for free-text `query`, best first. Any input is accepted: text
    /// is only ever split into words, never parsed, so odd input gives results or nothing.
    /// `filter` receives internal ids and keeps a document when it returns true.
    public func search(
        _ query: String,
        k: Int = 10,
        filter: ((Int32) -> Bool)? = nil
    )
        -> [(id: String, score: Float)]
    {
        searchInternal(query, k: k, filter: filter).map { (externalIDs[Int($0.doc)], $0.score) }
    }

    /// Like `search`, with internal ids, for fusion with other retrievers.
    public func searchInternal(
        _ query: String,
        k: Int = 10,
        filter: ((Int32) -> Bool)? = nil
    )
        -> [ScoredDoc]
    {
        score(weightedTerms(query), k: k, filter: filter)
    }

    /// Longer queries (pasted abstracts) keep their most distinctive terms: a 10 kB paste has
    /// ~600 distinct terms and took 5 ms scored in full; the rarest 128 decide its ranking.
    static let maximumQueryTerms = 128

    /// Query terms known to the index, with idf × number of occurrences in the query.
    func weightedTerms(_ query: String) -> [WeightedTerm] {
        var repeats: [Int32: Float] = [:]
        analyzer.tokens(query) { token in
            guard let term = analyzer.term(forToken: token), let id = vocabulary.id(of: term) else { return }
            repeats[id, default: 0] += 1
        }
        let terms = repeats.map { WeightedTerm(term: $0.key, weight: $0.value * idf(of: $0.key)) }
        guard terms.count > LexicalIndex.maximumQueryTerms else { return terms }
        return Array(
            terms.sorted { ($0.weight, $1.term) > ($1.weight, $0.term) }.prefix(LexicalIndex.maximumQueryTerms)
        )
    }

    func idf(of term: Int32) -> Float {
        parameters.idf(documentFrequency: postings[Int(term)].count, documentCount: max(liveCount, 1))
    }

    /// The most `term` can add to any document's score.
    func upperBound(_ term: WeightedTerm) -> Float { term.weight * postings[Int(term.term)].maxImpact }

    /// Term-at-a-time scoring into a dense accumulator, then heap selection.
    ///
    /// Terms are processed in decreasing upper bound (then id) whatever the strategy, so every
    /// strategy adds the same floats in the same order and ties break identically.
    func score(
        _ terms: [WeightedTerm],
        k: Int,
        filter: ((Int32) -> Bool)?,
        strategy: ScoringStrategy? = nil,
        selection: Selection? = nil
    ) -> [ScoredDoc] {
        guard k > 0, !terms.isEmpty, liveCount > 0 else { return [] }
        let ordered = terms.sorted { (upperBound($0), $1.term) > (upperBound($1), $0.term) }
        let docCount = internalIDLimit
        let totalPostings = ordered.reduce(0) { $0 + postings[Int($1.term)].count }
        var chosen = strategy ?? self.strategy
        if chosen == .automatic {
            let pays =
                docCount >= LexicalIndex.blockMaxMinimumDocuments
                && totalPostings >= LexicalIndex.blockMaxMinimumPostings
                && ordered.count <= LexicalIndex.blockMaxMaximumTerms
            chosen = pays ? .blockMax : .exhaustive
        }
        return scratch.withAccumulator(count: docCount) { accumulator in
            accumulator.withUnsafeMutableBufferPointer { scores in
                isLive.withUnsafeBufferPointer { live in
                    if chosen == .blockMax {
                        return BlockMaxScoring(
                            index: self,
                            terms: ordered,
                            k: k,
                            live: live,
                            filter: filter,
                            scores: scores
                        ).topK()
                    }
                    let query = QueryScoring(
                        index: self,
                        terms: ordered,
                        k: k,
                        scores: scores,
                        live: live,
                        filter: filter
                    )
                    if chosen == .maxScore { return query.maxScore(totalPostings: totalPostings) }
                    // Few postings: remember which documents were touched instead of
                    // scanning the whole accumulator.
                    let reading = selection ?? (totalPostings < docCount / 8 ? .touchedOnly : .fullScan)
                    return reading == .touchedOnly
                        ? query.exhaustiveTouched(totalPostings: totalPostings) : query.exhaustiveFullScan()
                }
            }
        }
    }

    /// `automatic` uses `blockMax` only on collections of at least this many documents: its
    /// k-th best starts low and rises window by window, which pays off over many windows. On
    /// the 80k-paper corpus (5 windows) it lost to exhaustive at every query size.
    static let blockMaxMinimumDocuments = 1 << 18

    /// ... for queries with at least this many postings: at 1M papers `blockMax` wins from
    /// about 50,000 (0.13 ms of streaming) up and loses below (per-window bookkeeping).
    static let blockMaxMinimumPostings = 1 << 16

    /// ... and queries with more terms than this: each term costs `blockMax` bookkeeping in
    /// every window (a 10 kB pasted abstract, 128 terms, took 12 ms against 1.6 at 80k).
    static let blockMaxMaximumTerms = 24

    /// How exhaustive scoring reads the accumulator back.
    enum Selection { case touchedOnly, fullScan }
}
