import CVectorKernels

/// Passage vectors at 3 bits per component: 144 bytes for a 384-dimension sentence, so the
/// 8 million sentences of a million abstracts take 1.2 GB. They are never scanned, only scored
/// for the few hundred candidates of a query.
///
/// Each component is cut into eight even steps of 0.7 σ (σ: the vector's root mean square),
/// clipped at ±2.8 σ, and stands for its step's middle. The step was chosen on SciFact train
/// (0.586, 0.7, 0.8 and 0.9 σ); on test, hybrid and dense nDCG@10 match the 4 bits per
/// component stored before (BENCHMARKS.md, "Search at arXiv scale"). Made for dense
/// embeddings such as MiniLM's: a component of 0 reads as half a step, so a vector with few
/// non-zero components (a toy one) scores less exactly.
struct PassageStore: Sendable {
    let dimension: Int
    /// Per passage, three bit planes of `groups` bytes: bit j of plane b's byte g is bit b of
    /// the code of component 8g + j. Chunked like the index's other arrays (`ChunkedArray`), so
    /// adding papers does not copy the others'.
    var codes: ChunkedArray<UInt8>
    /// Per passage: the step / 2, which turns the code dot product back into a cosine.
    var scales = ChunkedArray<Float>()
    /// By internal id: the first passage and how many there are (0: none). A replaced
    /// paper's old passages stay unused in the arrays until the index is rebuilt.
    var starts = ChunkedArray<Int32>(rowShift: DenseIndex.rowShift)
    var counts = ChunkedArray<UInt8>(rowShift: DenseIndex.rowShift)

    /// The step between codes, in units of the vector's root mean square.
    static let step: Float = 0.7

    init(dimension: Int) {
        self.dimension = dimension
        codes = ChunkedArray(rowLength: PassageStore.bytes(dimension: dimension))
    }

    var passageCount: Int { scales.count }

    /// Bytes in each bit plane.
    static func groups(dimension: Int) -> Int { (dimension + 7) / 8 }

    static func bytes(dimension: Int) -> Int { 3 * groups(dimension: dimension) }

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
        let groups = PassageStore.groups(dimension: dimension)
        for unit in kept {
            let (row, scale) = PassageStore.encoded(unit, groups: groups)
            codes.append(contentsOf: row)
            scales.append(scale)
        }
    }

    /// The bit planes of a unit vector's codes, and its scale.
    static func encoded(_ unit: [Float], groups: Int) -> (planes: [UInt8], scale: Float) {
        let rms = (unit.reduce(Float(0)) { $0 + $1 * $1 } / Float(max(1, unit.count))).squareRoot()
        let delta = step * rms
        var planes = [UInt8](repeating: 0, count: 3 * groups)
        guard delta > 0 else { return (planes, 0) }
        for (i, value) in unit.enumerated() {
            // Codes 0...7 stand for steps −4...3, whose middles are (2·code − 7)·delta/2.
            let code = Int(min(3, max(-4, (value / delta).rounded(.down)))) + 4
            for bit in 0..<3 where code & (1 << bit) != 0 {
                planes[bit * groups + i / 8] |= UInt8(1 << (i % 8))
            }
        }
        return (planes, delta / 2)
    }

    /// A unit query as the table of its partial sums over each group of eight components
    /// (`pb_bitplane_table`: 48 groups × 256 floats, 48 KB, for 384 dimensions), and the sum
    /// of its components. Three lookups per eight components then score a passage.
    struct PreparedQuery {
        var table: [Float]
        var sum: Float
    }

    static func prepare(_ unit: [Float], dimension: Int) -> PreparedQuery {
        let groups = groups(dimension: dimension)
        var padded = unit
        padded.append(contentsOf: repeatElement(0, count: 8 * groups - unit.count))
        var table = [Float](repeating: 0, count: 256 * groups)
        padded.withUnsafeBufferPointer { q in
            table.withUnsafeMutableBufferPointer { pb_bitplane_table(q.baseAddress!, Int32(groups), $0.baseAddress!) }
        }
        return PreparedQuery(table: table, sum: unit.reduce(0, +))
    }

    /// The best cosine between the query and one of `doc`'s passages; nil when it has none.
    func best(_ query: PreparedQuery, doc: Int32) -> Float? {
        let doc = Int(doc)
        guard doc < counts.count, counts[doc] > 0 else { return nil }
        let groups = Int32(PassageStore.groups(dimension: dimension))
        var best = -Float.infinity
        query.table.withUnsafeBufferPointer { q in
            for passage in Int(starts[doc])..<Int(starts[doc]) + Int(counts[doc]) {
                // Σ q·(2·code − 7)·scale: the code dot product from the query's table (in C).
                let raw = pb_dot_bitplanes3(codes.row(passage), q.baseAddress!, groups)
                best = max(best, (2 * raw - 7 * query.sum) * scales[passage])
            }
        }
        return best
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
