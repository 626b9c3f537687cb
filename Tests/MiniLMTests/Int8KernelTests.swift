import CMiniLMKernels
import Foundation
import Testing

/// The int8 kernels against float arithmetic, and the AVX2 kernel against the AVX-VNNI one.
@Suite struct Int8KernelTests {
    /// Random inputs and the int8 product of `m` rows, as `mlk_gemm_u8s8` computes it.
    private struct Product {
        let m: Int
        let k: Int
        let n: Int
        let a: [Float]
        let weight: [Float]  // [n, k]
        let bias: [Float]

        init(m: Int, k: Int, n: Int) {
            var random = SeededGenerator(seed: UInt64(m * 1000 + k))
            self.m = m
            self.k = k
            self.n = n
            // Skewed like GELU outputs: mostly small, some large, few negative.
            a = (0..<(m * k)).map { _ in Float.random(in: -0.2...3, using: &random) }
            weight = (0..<(n * k)).map { _ in Float.random(in: -0.1...0.1, using: &random) }
            bias = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
        }

        func int8(panels: Range<Int>? = nil) -> [Float] {
            var packed = [Int8](repeating: 0, count: n * k)
            var scales = [Float](repeating: 0, count: n)
            var sums = [Int32](repeating: 0, count: n)
            mlk_pack_weights(weight, Int32(n), Int32(k), &packed, &scales, &sums)
            var quantized = [UInt8](repeating: 0, count: m * k)
            var rowScales = [Float](repeating: 0, count: m)
            var zeros = [Int32](repeating: 0, count: m)
            mlk_quantize_rows(a, Int32(m), Int32(k), Int32(k), &quantized, Int32(k), &rowScales, &zeros)
            var c = [Float](repeating: .nan, count: m * n)
            let panels = panels ?? 0..<(n / 16)
            mlk_gemm_u8s8(
                Int32(m),
                Int32(k),
                quantized,
                Int32(k),
                rowScales,
                zeros,
                packed,
                scales,
                sums,
                bias,
                Int32(panels.lowerBound),
                Int32(panels.upperBound),
                &c,
                Int32(n)
            )
            return c
        }

        func exact(row: Int, column: Int) -> Float {
            (0..<k).reduce(bias[column]) { $0 + a[row * k + $1] * weight[column * k + $1] }
        }
    }

    /// Every short last block of rows (the kernels take 4 or 6 at a time), two depths.
    @Test(arguments: [(m: 1, k: 64), (m: 5, k: 32), (m: 6, k: 384), (m: 7, k: 64), (m: 13, k: 1536), (m: 16, k: 96)])
    func matchesTheFloatProduct(m: Int, k: Int) {
        let product = Product(m: m, k: k, n: 48)
        let c = product.int8()
        var error: Float = 0
        var magnitude: Float = 0
        for row in 0..<m {
            for column in 0..<product.n {
                let exact = product.exact(row: row, column: column)
                error += (c[row * product.n + column] - exact) * (c[row * product.n + column] - exact)
                magnitude += exact * exact
            }
        }
        #expect((error / magnitude).squareRoot() < 0.01)
    }

    @Test func writesOnlyItsPanels() {
        let product = Product(m: 9, k: 64, n: 48)
        let c = product.int8(panels: 1..<2)
        for row in 0..<product.m {
            for column in 0..<product.n {
                #expect(c[row * product.n + column].isNaN == !(16..<32).contains(column))
            }
        }
    }

    /// No int16 sum saturates in the AVX2 kernel, so both kernels give the same bits.
    @Test func avx2AndVNNIKernelsAgreeExactly() {
        let product = Product(m: 23, k: 384, n: 64)
        let usual = product.int8()
        _ = mlk_allow_vnni(0)
        let avx2 = product.int8()
        _ = mlk_allow_vnni(1)
        #expect(usual == avx2)
    }

    @Test func quantizedRowsReconstructTheirValues() {
        var random = SeededGenerator(seed: 7)
        let k = 64
        let a = (0..<(2 * k)).map { _ in Float.random(in: -1...5, using: &random) }
        var quantized = [UInt8](repeating: 0, count: 2 * k)
        var scales = [Float](repeating: 0, count: 2)
        var zeros = [Int32](repeating: 0, count: 2)
        mlk_quantize_rows(a, 2, Int32(k), Int32(k), &quantized, Int32(k), &scales, &zeros)
        for row in 0..<2 {
            for i in 0..<k {
                let restored = scales[row] * Float(Int32(quantized[row * k + i]) - zeros[row])
                #expect(abs(restored - a[row * k + i]) <= scales[row] * 0.501)
            }
        }
    }
}
