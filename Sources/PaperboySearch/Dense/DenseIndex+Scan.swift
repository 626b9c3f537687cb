import CVectorKernels

extension DenseIndex {
    /// The float32 query against every live 8-bit row.
    func exactScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        var top = TopK(k: k)
        unit.withUnsafeBufferPointer { q in
            forEachRow { doc, row, scale in
                offer(doc, DenseIndex.dot(q, row, count: dimension) * scale, to: &top, filter: filter)
            }
        }
        return top.sorted()
    }

    /// Approximate scores from the 8-bit rows: the best `k` rows by those.
    func quantisedScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        let (queryCodes, queryScale) = DenseIndex.quantised(unit)
        var top = TopK(k: k)
        queryCodes.withUnsafeBufferPointer { q in
            forEachRow { doc, row, scale in
                let raw = pb_dot_i8(q.baseAddress!, row, Int32(dimension))
                offer(doc, Float(raw) * scale * queryScale, to: &top, filter: filter)
            }
        }
        return top.sorted()
    }

    /// Calls `body` with every live vector's internal id, 8-bit row and scale: chunk by chunk,
    /// or list by list when the index is clustered (its rows are there).
    @inline(__always)
    func forEachRow(_ body: (Int, UnsafePointer<Int8>, Float) -> Void) {
        if let clusters {
            for list in clusters.lists {
                list.codes.withUnsafeBufferPointer { codes in
                    for (i, scale) in list.scales.enumerated() where scale > 0 {
                        body(Int(list.docs[i]), codes.baseAddress! + i * dimension, scale)
                    }
                }
            }
            return
        }
        for chunk in 0..<isLive.chunkCount {
            let (first, matrix, scales, live) = (chunk << DenseIndex.rowShift, codes.chunk(chunk), codeScales.chunk(chunk), isLive.chunk(chunk))
            for row in 0..<live.count where live[row] {
                body(first + row, matrix.baseAddress! + row * dimension, scales[row])
            }
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
            DenseIndex.dot(q, row(doc), count: dimension) * codeScales[Int(doc)]
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
