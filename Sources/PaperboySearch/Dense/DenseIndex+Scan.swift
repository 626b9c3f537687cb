import CVectorKernels

extension DenseIndex {
    /// The float32 query against every live 8-bit row.
    func exactScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        var top = TopK(k: k)
        unit.withUnsafeBufferPointer { q in
            forEachChunk { first, matrix, scales, live in
                for row in 0..<live.count where live[row] {
                    let score = DenseIndex.dot(q, matrix.baseAddress! + row * dimension, count: dimension) * scales[row]
                    offer(first + row, score, to: &top, filter: filter)
                }
            }
        }
        return top.sorted()
    }

    /// Approximate scores from the 8-bit rows: the best `k` rows by those.
    func quantisedScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        let (queryCodes, queryScale) = DenseIndex.quantised(unit)
        var top = TopK(k: k)
        queryCodes.withUnsafeBufferPointer { q in
            forEachChunk { first, matrix, scales, live in
                for row in 0..<live.count where live[row] {
                    let raw = pb_dot_i8(q.baseAddress!, matrix.baseAddress! + row * dimension, Int32(dimension))
                    offer(first + row, Float(raw) * scales[row] * queryScale, to: &top, filter: filter)
                }
            }
        }
        return top.sorted()
    }

    /// Calls `body` for each chunk of rows: its first internal id, its 8-bit rows, their
    /// scales and liveness.
    @inline(__always)
    func forEachChunk(
        _ body: (Int, UnsafeBufferPointer<Int8>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Bool>) -> Void
    ) {
        for chunk in 0..<isLive.chunkCount {
            body(chunk << DenseIndex.rowShift, codes.chunk(chunk), codeScales.chunk(chunk), isLive.chunk(chunk))
        }
    }

    /// Cosines of the float32 query with a shortlist's rows, best `k` of them.
    func rescore(_ unit: [Float], _ shortlist: [ScoredDoc], k: Int) -> [ScoredDoc] {
        var top = TopK(k: k)
        for candidate in shortlist { top.insert(ScoredDoc(doc: candidate.doc, score: cosine(unit, candidate.doc))) }
        return top.sorted()
    }

    /// Cosine of a unit query with a stored row.
    func cosine(_ unit: [Float], _ doc: Int32) -> Float {
        unit.withUnsafeBufferPointer { q in
            DenseIndex.dot(q, codes.row(Int(doc)), count: dimension) * codeScales[Int(doc)]
        }
    }

    @inline(__always)
    private func offer(_ row: Int, _ score: Float, to top: inout TopK, filter: ((Int32) -> Bool)?) {
        let candidate = ScoredDoc(doc: Int32(row), score: score)
        guard top.admits(candidate) else { return }
        if let filter, !filter(Int32(row)) { return }
        top.insert(candidate)
    }

    /// Dot product of a float32 query with an 8-bit row (an AVX2 kernel in C).
    @inline(__always)
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafePointer<Int8>, count: Int) -> Float {
        pb_dot_f32_i8(a.baseAddress!, b, Int32(count))
    }

}
