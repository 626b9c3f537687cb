/// The scoring of one query against one index: accumulator, candidates and the top-k.
/// Every path leaves the accumulator all zero again for the next query.
struct QueryScoring {
    let index: LexicalIndex
    /// Query terms, largest upper bound first.
    let terms: [LexicalIndex.WeightedTerm]
    let k: Int
    let scores: UnsafeMutableBufferPointer<Float>
    let live: UnsafeBufferPointer<Bool>
    let filter: ((Int32) -> Bool)?

    init(
        index: LexicalIndex,
        terms: [LexicalIndex.WeightedTerm],
        k: Int,
        scores: UnsafeMutableBufferPointer<Float>,
        live: UnsafeBufferPointer<Bool>,
        filter: ((Int32) -> Bool)?
    ) {
        self.index = index
        self.terms = terms
        self.k = k
        self.scores = scores
        self.live = live
        self.filter = filter
    }

    /// Offers `doc` to `top` if it may be returned at all.
    @inline(__always)
    func consider(_ doc: Int, _ score: Float, _ top: inout TopK) {
        guard live[doc] else { return }
        let candidate = ScoredDoc(doc: Int32(doc), score: score)
        guard top.admits(candidate) else { return }
        if let filter, !filter(Int32(doc)) { return }
        top.insert(candidate)
    }

    // MARK: Exhaustive

    func exhaustiveFullScan() -> [ScoredDoc] {
        for term in terms { accumulate(term) }
        var top = TopK(k: k)
        selectAndClear(count: index.internalIDLimit, &top)
        return top.sorted()
    }

    func exhaustiveTouched(totalPostings: Int) -> [ScoredDoc] {
        var touched: [UInt32] = []
        touched.reserveCapacity(min(totalPostings, index.internalIDLimit))
        for term in terms { accumulateTracking(term, touched: &touched) }
        var top = TopK(k: k)
        for doc in touched {
            let score = scores[Int(doc)]
            scores[Int(doc)] = 0
            consider(Int(doc), score, &top)
        }
        return top.sorted()
    }

    // MARK: MaxScore

    /// Processes terms fully while they may still bring new documents into the top k. As soon
    /// as the remaining terms' upper bounds add up to less than the k-th best partial score
    /// (a lower bound on the final k-th best), no untouched document can make it, so the
    /// remaining lists are only probed for the documents that can still reach that score.
    func maxScore(totalPostings: Int) -> [ScoredDoc] {
        // remaining[i]: the most terms i... can add to a document, padded against rounding.
        var remaining = [Float](repeating: 0, count: terms.count + 1)
        for i in stride(from: terms.count - 1, through: 0, by: -1) {
            remaining[i] = remaining[i + 1] + index.upperBound(terms[i])
        }
        for i in remaining.indices { remaining[i] = remaining[i] * 1.0001 + 1e-6 }
        var postingsLeft = totalPostings

        var touched: [UInt32] = []
        touched.reserveCapacity(min(totalPostings, index.internalIDLimit))
        var next = 0
        var threshold: Float = -.infinity
        while next < terms.count {
            accumulateTracking(terms[next], touched: &touched)
            postingsLeft -= index.postings[Int(terms[next].term)].count
            next += 1
            // Computing the threshold costs a pass over the touched documents: only worth it
            // when the lists still to come are much longer.
            guard next < terms.count, postingsLeft > 2 * touched.count else { continue }
            threshold = kthBestPartialScore(touched)
            if remaining[next] < threshold { break }
        }
        guard next < terms.count else { return selectTouched(touched) }

        // Phase two: probe the remaining lists only for documents still in contention.
        var candidates = touched.filter { doc in
            scores[Int(doc)] + remaining[next] >= threshold && live[Int(doc)] && (filter?(Int32(doc)) ?? true)
        }
        candidates.sort()
        for i in next..<terms.count {
            probe(terms[i], candidates: candidates)
            let bound = remaining[i + 1]
            candidates.removeAll { scores[Int($0)] + bound < threshold }
        }
        var top = TopK(k: k)
        for doc in candidates { top.insert(ScoredDoc(doc: Int32(doc), score: scores[Int(doc)])) }
        for doc in touched { scores[Int(doc)] = 0 }
        return top.sorted()
    }

    /// The k-th best score so far among documents that may be returned, or −∞.
    func kthBestPartialScore(_ touched: [UInt32]) -> Float {
        var top = TopK(k: k)
        for doc in touched { consider(Int(doc), scores[Int(doc)], &top) }
        return top.threshold
    }

    func selectTouched(_ touched: [UInt32]) -> [ScoredDoc] {
        var top = TopK(k: k)
        for doc in touched {
            let score = scores[Int(doc)]
            scores[Int(doc)] = 0
            consider(Int(doc), score, &top)
        }
        return top.sorted()
    }

    /// Adds `term`'s impact to each of the sorted `candidates` that contains it, galloping
    /// through the posting list between candidates.
    func probe(_ term: LexicalIndex.WeightedTerm, candidates: [UInt32]) {
        let list = index.postings[Int(term.term)]
        let weight = term.weight
        list.docs.withUnsafeBufferPointer { docs in
            list.impacts.withUnsafeBufferPointer { impacts in
                var position = 0
                for doc in candidates {
                    position = QueryScoring.lowerBound(docs, doc, from: position)
                    guard position < docs.count else { return }
                    if docs[position] == doc { scores[Int(doc)] += weight * impacts[position].value }
                }
            }
        }
    }

    /// First position at or after `from` whose doc is ≥ `target`: exponential then binary search.
    @inline(__always)
    static func lowerBound(_ docs: UnsafeBufferPointer<UInt32>, _ target: UInt32, from: Int) -> Int {
        var low = from
        var step = 1
        var high = from
        while high < docs.count && docs[high] < target {
            low = high + 1
            high += step
            step <<= 1
        }
        high = min(high, docs.count)
        while low < high {
            let mid = (low + high) / 2
            if docs[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: Accumulation

    func accumulate(_ term: LexicalIndex.WeightedTerm) {
        let list = index.postings[Int(term.term)]
        let weight = term.weight
        list.docs.withUnsafeBufferPointer { docs in
            list.impacts.withUnsafeBufferPointer { impacts in
                for i in 0..<docs.count {
                    scores[Int(docs[i])] += weight * impacts[i].value
                }
            }
        }
    }

    func accumulateTracking(_ term: LexicalIndex.WeightedTerm, touched: inout [UInt32]) {
        let list = index.postings[Int(term.term)]
        let weight = term.weight
        list.docs.withUnsafeBufferPointer { docs in
            list.impacts.withUnsafeBufferPointer { impacts in
                for i in 0..<docs.count {
                    let doc = Int(docs[i])
                    if scores[doc] == 0 { touched.append(docs[i]) }
                    scores[doc] += weight * impacts[i].value
                }
            }
        }
    }

    /// Scans the whole accumulator eight scores at a time, looking closer only where one
    /// beats the current k-th best, then zeroes it. Documents are visited in id order, so a
    /// later document with an equal score never displaces an earlier one: a strict
    /// comparison is exact. (Swift's SIMD comparisons compiled to per-lane stack traffic
    /// here; a scalar max over eight floats stays in registers and measured 8× faster.)
    func selectAndClear(count: Int, _ top: inout TopK) {
        var threshold: Float = 0
        var doc = 0
        while doc + 8 <= count {
            let p = scores.baseAddress! + doc
            let m = max(max(max(p[0], p[1]), max(p[2], p[3])), max(max(p[4], p[5]), max(p[6], p[7])))
            if m > threshold {
                for lane in 0..<8 where p[lane] > threshold {
                    consider(doc + lane, p[lane], &top)
                    threshold = max(top.threshold, 0)
                }
            }
            doc += 8
        }
        while doc < count {
            if scores[doc] > threshold {
                consider(doc, scores[doc], &top)
                threshold = max(top.threshold, 0)
            }
            doc += 1
        }
        UnsafeMutableBufferPointer(rebasing: scores[0..<count]).update(repeating: 0)
    }
}
