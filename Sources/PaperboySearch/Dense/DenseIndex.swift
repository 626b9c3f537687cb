/// How `DenseIndex.search` scans the vectors.
public enum DenseSearchMode: Sendable, Hashable {
    /// The float32 query against every stored 8-bit row: exact for what is stored.
    case exact
    /// Int8 × int8 dot products (the query quantised too: a quarter of float32's memory
    /// traffic, p50 2.0 ms for 80k × 384) shortlist max(`candidates`, 2k) rows, which are then
    /// rescored with the float32 query. Only a true top-k row ranked below the shortlist by the
    /// quantised query can be missed. With real MiniLM vectors (SciFact, 1,109 queries) the top
    /// 10 and top 100 were identical to the exact scan's.
    case quantized(candidates: Int)
}

/// Brute-force nearest neighbours over unit-length vectors stored contiguously.
///
/// At Paperboy's scale (10⁵ papers × 384 dimensions ≈ 40 MB at 8 bits) a scan needs no tuning
/// and no build step, unlike an approximate graph index, and updates are an append.
public struct DenseIndex: Sendable {
    public let dimension: Int
    /// The default scan; a search can ask for another.
    public var mode: DenseSearchMode = .quantized(candidates: 100)
    /// Row `i` holds internal id `i`'s normalised vector at 8 bits: each component × 127 / the
    /// row's largest magnitude, rounded. Cosines read from it are within about 0.002 of the
    /// float32 ones; on SciFact, float32 or half-precision rows changed no metric (and cost 61
    /// MB more at 80k papers, which the sentence vectors needed).
    ///
    /// Every per-vector array is chunked (`ChunkedArray`, 4,096 vectors a chunk), so a
    /// snapshot and the index it was taken from share their memory: adding a paper after a
    /// snapshot writes that paper, not a copy of the index.
    ///
    /// Once the index is clustered the rows live in their clusters' lists only and this is
    /// empty: read rows through `row(_:)` (at a million papers, 384 MB not held twice).
    var codes: ChunkedArray<Int8>
    /// What to multiply an 8-bit row's dot product by to get back to unit scale.
    var codeScales = ChunkedArray<Float>(rowShift: DenseIndex.rowShift)
    /// Passage (sentence) vectors, 3 bits per component: see `DenseIndex+Passages.swift`.
    var passages: PassageStore
    var externalIDs = ChunkedArray<String>(rowShift: DenseIndex.rowShift)
    var internalIDs: [String: Int32] = [:]
    var isLive = ChunkedArray<Bool>(rowShift: DenseIndex.rowShift)
    /// The inverted file searches read when the index is large (`DenseIndex+Clusters.swift`).
    var clusters: DenseClusters?
    /// Clusters a clustered search reads; nil: as many as hold about `rowsPerQuery` rows.
    public var probes: Int?

    /// Vectors a chunk: 2^12.
    static let rowShift = 12

    public init(dimension: Int) {
        precondition(dimension > 0, "a vector needs at least one dimension")
        self.dimension = dimension
        codes = ChunkedArray(rowLength: dimension, rowShift: DenseIndex.rowShift)
        passages = PassageStore(dimension: dimension)
    }

    public var count: Int { internalIDs.count }

    /// Internal ids run from 0 to `internalIDLimit - 1`; removed ones are not live.
    var internalIDLimit: Int { isLive.count }

    public func externalID(of doc: Int32) -> String { externalIDs[Int(doc)] }

    public func internalID(of id: String) -> Int32? { internalIDs[id] }

    /// The stored (normalised, 8-bit) vector of an internal id, back in float32.
    public func vector(of doc: Int32) -> [Float] {
        let scale = codeScales[Int(doc)]
        return UnsafeBufferPointer(start: row(doc), count: dimension).map { Float($0) * scale }
    }

    /// The 8-bit row of an internal id: in its cluster's list when the index is clustered, else
    /// in `codes`; all zeros for a removed one. Valid while this index (or a copy) is alive.
    @inline(__always)
    func row(_ doc: Int32) -> UnsafePointer<Int8> {
        if let clusters { return clusters.row(of: doc) ?? DenseIndex.zeroRow(dimension) }
        return codes.row(Int(doc))
    }

    /// A row of zeros at least `dimension` long (the row of a removed vector).
    static func zeroRow(_ dimension: Int) -> UnsafePointer<Int8> {
        precondition(dimension <= zeros.count, "dimension above \(zeros.count)")
        return zeros.address(of: 0)
    }

    private static let zeros: AppendBuffer<Int8> = {
        var zeros = AppendBuffer<Int8>()
        for _ in 0..<4096 { zeros.append(0) }
        return zeros
    }()

    /// The stored vector of an internal id at unit length (a zero vector if it has none).
    func unitVector(of doc: Int32) -> [Float] {
        DenseIndex.normalised(vector(of: doc)) ?? [Float](repeating: 0, count: dimension)
    }

    /// Adds `vector` for `id`, with the vectors of its `passages`, replacing any earlier ones.
    /// Vectors are normalised here so the dot product is the cosine. Returns false (and stores
    /// nothing) for a vector of the wrong size or with no direction; passage vectors of the
    /// wrong size or with no direction are skipped. Upserting a paper's stored vector again,
    /// with as many passages, changes nothing (the passages are taken to be the same too).
    @discardableResult
    public mutating func upsert(id: String, vector: [Float], passages: [[Float]] = []) -> Bool {
        guard vector.count == dimension, let unit = DenseIndex.normalised(vector) else { return false }
        let (rowCodes, scale) = DenseIndex.quantised(unit)
        let units = passages.filter { $0.count == dimension }.compactMap(DenseIndex.normalised)
        if let existing = internalIDs[id] {
            // The same vector again (a node reading back through the store's feed what it
            // saved itself): nothing to do, and no passages to store twice.
            if codeScales[Int(existing)] == scale, Int(self.passages.count(of: Int(existing))) == min(units.count, Int(UInt8.max)),
                rowCodes.withUnsafeBufferPointer({ $0.elementsEqual(UnsafeBufferPointer(start: row(existing), count: dimension)) })
            {
                return true
            }
            if clusters == nil { codes.setRow(Int(existing), rowCodes) }
            codeScales[Int(existing)] = scale
            self.passages.set(units, for: Int(existing))
            fileInCluster(existing, rowCodes)
            return true
        }
        self.passages.set(units, for: externalIDs.count)
        internalIDs[id] = Int32(externalIDs.count)
        externalIDs.append(id)
        isLive.append(true)
        if clusters == nil { codes.append(contentsOf: rowCodes) }
        codeScales.append(scale)
        fileInCluster(Int32(externalIDs.count - 1), rowCodes)
        return true
    }

    public mutating func remove(id: String) {
        guard let doc = internalIDs.removeValue(forKey: id) else { return }
        isLive[Int(doc)] = false
        clusters?.remove(doc)
    }

    /// The `k` most similar vectors by cosine, best first. A query of the wrong size or with
    /// no direction has no neighbours.
    public func search(
        _ query: [Float],
        k: Int = 10,
        filter: ((Int32) -> Bool)? = nil,
        mode: DenseSearchMode? = nil
    ) -> [ScoredDoc] {
        guard k > 0, query.count == dimension, let unit = DenseIndex.normalised(query) else { return [] }
        switch mode ?? self.mode {
        case .exact:
            return exactScan(unit, k: k, filter: filter)
        case .quantized(let candidates):
            let shortlist = shortlist(unit, k: max(candidates, 2 * k), filter: filter)
            return rescore(unit, shortlist, k: k)
        }
    }

    static func normalised(_ vector: [Float]) -> [Float]? {
        var sum: Float = 0
        for x in vector { sum += x * x }
        guard sum > 0, sum.isFinite else { return nil }
        let scale = 1 / sum.squareRoot()
        return vector.map { $0 * scale }
    }

    /// 8-bit codes using the full −127...127 range for this vector, and the factor back.
    static func quantised(_ unit: [Float]) -> (codes: [Int8], scale: Float) {
        let largest = unit.reduce(Float(0)) { max($0, abs($1)) }
        guard largest > 0 else { return ([Int8](repeating: 0, count: unit.count), 0) }
        let factor = 127 / largest
        return (unit.map { Int8(($0 * factor).rounded()) }, largest / 127)
    }
}
