extension LexicalIndex {
    /// Adds a document, or replaces the one with the same id. Imports call this.
    public mutating func upsert(_ document: SearchDocument) {
        upsert(contentsOf: [document])
    }

    public mutating func upsert(contentsOf documents: [SearchDocument]) {
        var analysis = TermAnalysis(analyzer: analyzer, expectedDocuments: documents.count)
        for document in documents {
            let terms = analysis.analyze(document, parameters: parameters, vocabulary: &vocabulary)
            let doc = register(document.id, length: terms.length)
            lengthNorms.append(parameters.lengthNorm(length: terms.length, averageLength: impactAverageLength))
            appendPostings(doc: UInt32(doc), terms)
        }
        renormaliseIfAverageLengthDrifted()
    }

    /// Removes a document from search results. Its postings stay until the next rebuild;
    /// they are skipped at query time.
    public mutating func remove(id: String) {
        guard let doc = internalIDs.removeValue(forKey: id) else { return }
        retire(doc)
    }

    /// New documents are scored with the average length at the time they were added. Once
    /// that drifts by more than 2%, recompute every impact so scores stay true BM25.
    mutating func renormaliseIfAverageLengthDrifted() {
        let current = max(averageLength, 1)
        guard abs(current - impactAverageLength) > 0.02 * impactAverageLength else { return }
        renormalise()
    }

    /// Recomputes every impact with the current average document length, making scores
    /// identical to a fresh build over the same documents. Updates do this on their own when
    /// the average drifts by 2%; call it directly when exact scores matter.
    public mutating func renormalise() {
        let current = max(averageLength, 1)
        let newNorms = lengths.map { parameters.lengthNorm(length: $0, averageLength: current) }
        for term in postings.indices {
            var list = postings[term]
            postings[term] = PostingList()  // keep the arrays uniquely referenced while editing
            for i in list.docs.indices {
                let doc = Int(list.docs[i])
                let tf = parameters.termFrequency(impact: list.impacts[i].value, lengthNorm: lengthNorms[doc])
                list.impacts[i] = Impact(parameters.impact(termFrequency: tf, lengthNorm: newNorms[doc]))
            }
            list.recomputeMaxima()
            postings[term] = list
        }
        lengthNorms = newNorms
        impactAverageLength = current
    }
}
