import CVectorKernels

/// Passage vectors at 4 bits per component: 196 bytes for a 384-dimension sentence, so the
/// ~7 sentences of each of 80k abstracts fit in about 110 MB. They are never scanned, only
/// scored for the few hundred candidates of a query, where 4 bits change no SciFact ranking
/// metric against float32 (BENCHMARKS.md).
struct PassageStore: Sendable {
    let dimension: Int
    /// Component pairs per byte: even component in the low nibble, odd in the high one, each
    /// stored as `round(value × 7 / largest magnitude) + 8`, so 1...15. Chunked like the
    /// index's other arrays (`ChunkedArray`), so adding papers does not copy the others'.
    var codes: ChunkedArray<UInt8>
    /// Per passage: what turns the nibble dot product back into a cosine.
    var scales = ChunkedArray<Float>()
    /// By internal id: the first passage and how many there are (0: none). A replaced
    /// paper's old passages stay unused in the arrays until the index is rebuilt.
    var starts = ChunkedArray<Int32>(rowShift: DenseIndex.rowShift)
    var counts = ChunkedArray<UInt8>(rowShift: DenseIndex.rowShift)

    init(dimension: Int) {
        self.dimension = dimension
        codes = ChunkedArray(rowLength: PassageStore.bytes(dimension: dimension))
    }

    var passageCount: Int { scales.count }

    static func bytes(dimension: Int) -> Int { (dimension + 1) / 2 }

    /// How many passages `doc` has (0 for none or an unknown id).
    func count(of doc: Int) -> UInt8 { doc < counts.count ? counts[doc] : 0 }

    mutating func set(_ units: [[Float]], for doc: Int) {
        while doc >= starts.count {
            starts.append(0)
            counts.append(0)
        }
        let kept = units.prefix(Int(UInt8.max))
        starts[doc] = Int32(scales.count)
        counts[doc] = UInt8(kept.count)
        let width = PassageStore.bytes(dimension: dimension)
        for unit in kept {
            let largest = unit.reduce(Float(0)) { max($0, abs($1)) }
            let factor = largest > 0 ? 7 / largest : 0
            var row = [UInt8](repeating: 0x88, count: width)
            for (i, value) in unit.enumerated() {
                let nibble = UInt8(Int((value * factor).rounded()) + 8)
                row[i / 2] = i % 2 == 0 ? (row[i / 2] & 0xF0) | nibble : (row[i / 2] & 0x0F) | (nibble << 4)
            }
            codes.append(contentsOf: row)
            scales.append(largest / 7)
        }
    }

    /// A unit query split into even and odd components, ready for the nibble dot product.
    struct PreparedQuery {
        var even: [Float]
        var odd: [Float]
        var sum: Float
    }

    static func prepare(_ unit: [Float], dimension: Int) -> PreparedQuery {
        let width = bytes(dimension: dimension)
        var even = [Float](repeating: 0, count: width)
        var odd = [Float](repeating: 0, count: width)
        for (i, value) in unit.enumerated() {
            if i % 2 == 0 { even[i / 2] = value } else { odd[i / 2] = value }
        }
        return PreparedQuery(even: even, odd: odd, sum: unit.reduce(0, +))
    }

    /// The best cosine between the query and one of `doc`'s passages; nil when it has none.
    func best(_ query: PreparedQuery, doc: Int32) -> Float? {
        let doc = Int(doc)
        guard doc < counts.count, counts[doc] > 0 else { return nil }
        let width = PassageStore.bytes(dimension: dimension)
        var best = -Float.infinity
        query.even.withUnsafeBufferPointer { even in
            query.odd.withUnsafeBufferPointer { odd in
                for passage in Int(starts[doc])..<Int(starts[doc]) + Int(counts[doc]) {
                    let raw = PassageStore.nibbleDot(codes.row(passage), width: width, even: even, odd: odd)
                    // Σ q·(nibble − 8) = Σ q·nibble − 8·Σ q
                    best = max(best, (raw - 8 * query.sum) * scales[passage])
                }
            }
        }
        return best
    }

    /// Σ even[j]·low(row[j]) + odd[j]·high(row[j]) (an AVX2 kernel in C).
    @inline(__always)
    static func nibbleDot(
        _ row: UnsafePointer<UInt8>,
        width: Int,
        even: UnsafeBufferPointer<Float>,
        odd: UnsafeBufferPointer<Float>
    ) -> Float {
        pb_dot_nibbles(row, even.baseAddress!, odd.baseAddress!, Int32(width))
    }
}

extension DenseIndex {
    /// How many sentence vectors are stored (for `/healthz` and memory estimates).
    public var passageCount: Int { passages.passageCount }

    /// How many whole-paper neighbours `searchWithPassages` rescores by default. On SciFact
    /// train 200, 300, 400 and 500 gave the same nDCG@10; 300 keeps dense top-10 near 2.4 ms
    /// at 80k papers.
    public static let passageCandidateDepth = 300
    /// The weight of the best passage's cosine against the whole paper's (tuned on SciFact train).
    public static let passageWeight: Float = 1.5

    /// Dense ranking that also reads the passages: each candidate scores its whole-paper cosine
    /// plus `passageWeight` × its best passage cosine, where the whole paper counts as one of
    /// its passages (so a paper without sentence vectors, such as one with no abstract, counts
    /// its whole-paper cosine twice). Candidates are the `depth` nearest papers and the
    /// internal ids in `including` (for hybrid search: the lexical candidates, so a paper
    /// found by its words is scored by its best sentence too). Chosen on SciFact train over
    /// "best sentence only" (train nDCG@10 0.744 against 0.743 in hybrid search).
    public func searchWithPassages(
        _ query: [Float],
        k: Int,
        depth: Int = DenseIndex.passageCandidateDepth,
        including extra: [Int32] = [],
        passageWeight: Float = DenseIndex.passageWeight,
        filter: ((Int32) -> Bool)? = nil
    ) -> [ScoredDoc] {
        guard k > 0, query.count == dimension, let unit = DenseIndex.normalised(query) else { return [] }
        // The quantised scan's `depth` best, each rescored with the float32 query (the order
        // within them does not matter here: every one gets its passages read).
        var candidates = shortlist(unit, k: max(depth, k), filter: filter)
            .map { ScoredDoc(doc: $0.doc, score: cosine(unit, $0.doc)) }
        var seen = Set(candidates.map(\.doc))
        for doc in extra where Int(doc) < internalIDLimit && isLive[Int(doc)] && !seen.contains(doc) {
            if let filter, !filter(doc) { continue }
            seen.insert(doc)
            candidates.append(ScoredDoc(doc: doc, score: cosine(unit, doc)))
        }
        let prepared = PassageStore.prepare(unit, dimension: dimension)
        var top = TopK(k: k)
        for candidate in candidates {
            let sentence = passages.best(prepared, doc: candidate.doc) ?? -1
            let best = max(sentence, candidate.score)
            top.insert(ScoredDoc(doc: candidate.doc, score: candidate.score + passageWeight * best))
        }
        return top.sorted()
    }

    /// The best passage cosine of `doc` for `query`, nil when it has no passages (tests,
    /// diagnostics).
    public func bestPassageScore(_ query: [Float], doc: Int32) -> Float? {
        guard query.count == dimension, let unit = DenseIndex.normalised(query) else { return nil }
        return passages.best(PassageStore.prepare(unit, dimension: dimension), doc: doc)
    }
}
