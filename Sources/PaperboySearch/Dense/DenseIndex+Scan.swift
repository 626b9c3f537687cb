import CVectorKernels

extension DenseIndex {
    /// The float32 query against every live 8-bit row.
    func exactScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        var top = TopK(k: k)
        codes.withUnsafeBufferPointer { matrix in
            unit.withUnsafeBufferPointer { q in
                for row in 0..<isLive.count where isLive[row] {
                    let score = DenseIndex.dot(q, matrix.baseAddress! + row * dimension, count: dimension) * codeScales[row]
                    offer(row, score, to: &top, filter: filter)
                }
            }
        }
        return top.sorted()
    }

    /// Approximate scores from the 8-bit rows: the best `k` rows by those.
    func quantisedScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        let (queryCodes, queryScale) = DenseIndex.quantised(unit)
        var top = TopK(k: k)
        codes.withUnsafeBufferPointer { matrix in
            queryCodes.withUnsafeBufferPointer { q in
                codeScales.withUnsafeBufferPointer { scales in
                    for row in 0..<isLive.count where isLive[row] {
                        let raw = DenseIndex.dot(
                            q.baseAddress!,
                            matrix.baseAddress! + row * dimension,
                            count: dimension
                        )
                        offer(row, Float(raw) * scales[row] * queryScale, to: &top, filter: filter)
                    }
                }
            }
        }
        return top.sorted()
    }

    /// Cosines of the float32 query with a shortlist's rows, best `k` of them.
    func rescore(_ unit: [Float], _ shortlist: [ScoredDoc], k: Int) -> [ScoredDoc] {
        var top = TopK(k: k)
        for candidate in shortlist { top.insert(ScoredDoc(doc: candidate.doc, score: cosine(unit, candidate.doc))) }
        return top.sorted()
    }

    /// Cosine of a unit query with a stored row.
    func cosine(_ unit: [Float], _ doc: Int32) -> Float {
        codes.withUnsafeBufferPointer { matrix in
            unit.withUnsafeBufferPointer { q in
                DenseIndex.dot(q, matrix.baseAddress! + Int(doc) * dimension, count: dimension) * codeScales[Int(doc)]
            }
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

    /// Int8 dot product. Written as a plain loop on purpose: LLVM vectorises it into
    /// sign-extending multiply-adds, where Swift's SIMD integer conversions did not.
    /// 384 × 127² fits easily in an Int32.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, count: Int) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<count { sum &+= Int32(a[i]) &* Int32(b[i]) }
        return sum
    }
}
