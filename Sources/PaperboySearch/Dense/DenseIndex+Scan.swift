extension DenseIndex {
    /// Float32 dot product with every live row.
    func exactScan(_ unit: [Float], k: Int, filter: ((Int32) -> Bool)?) -> [ScoredDoc] {
        var top = TopK(k: k)
        vectors.withUnsafeBufferPointer { matrix in
            unit.withUnsafeBufferPointer { q in
                for row in 0..<isLive.count where isLive[row] {
                    let score = DenseIndex.dot(q, matrix.baseAddress! + row * dimension, count: dimension)
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
                            q.baseAddress!, matrix.baseAddress! + row * dimension, count: dimension)
                        offer(row, Float(raw) * scales[row] * queryScale, to: &top, filter: filter)
                    }
                }
            }
        }
        return top.sorted()
    }

    /// Exact cosines for a shortlist, best `k` of them.
    func rescore(_ unit: [Float], _ shortlist: [ScoredDoc], k: Int) -> [ScoredDoc] {
        var top = TopK(k: k)
        vectors.withUnsafeBufferPointer { matrix in
            unit.withUnsafeBufferPointer { q in
                for candidate in shortlist {
                    let row = Int(candidate.doc)
                    let score = DenseIndex.dot(q, matrix.baseAddress! + row * dimension, count: dimension)
                    top.insert(ScoredDoc(doc: candidate.doc, score: score))
                }
            }
        }
        return top.sorted()
    }

    @inline(__always)
    private func offer(_ row: Int, _ score: Float, to top: inout TopK, filter: ((Int32) -> Bool)?) {
        let candidate = ScoredDoc(doc: Int32(row), score: score)
        guard top.admits(candidate) else { return }
        if let filter, !filter(Int32(row)) { return }
        top.insert(candidate)
    }

    /// Dot product of a float32 query with a half-precision row, 16 lanes at a time (F16C
    /// conversion and fused multiply-add on Haswell).
    @inline(__always)
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafePointer<Float16>, count: Int) -> Float {
        let rawA = UnsafeRawPointer(a.baseAddress!)
        let rawB = UnsafeRawPointer(b)
        var sum = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let x = rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let y = SIMD16<Float>(rawB.loadUnaligned(fromByteOffset: i * 2, as: SIMD16<Float16>.self))
            sum.addProduct(x, y)
            i += 16
        }
        var total = sum.sum()
        while i < count {
            total += a[i] * Float(b[i])
            i += 1
        }
        return total
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
