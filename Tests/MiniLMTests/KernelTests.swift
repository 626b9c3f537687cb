import Foundation
import Testing

@testable import MiniLM

/// The numeric kernels against plain scalar arithmetic, on sizes that exercise the padding
/// and depth-blocking edge cases the real model never hits.
@Suite struct KernelTests {
    @Test(arguments: [(m: 6, k: 1, n: 16), (m: 12, k: 37, n: 48), (m: 18, k: 800, n: 32)])
    func matmulMatchesNaiveProduct(m: Int, k: Int, n: Int) {
        var random = SeededGenerator(seed: UInt64(m * 1000 + k))
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &random) }
        let weight = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &random) }  // [n, k]
        let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
        let packed = allocateFloats(n * k)
        let c = allocateFloats(m * n)
        defer {
            packed.deallocate()
            c.deallocate()
        }
        packTransposed(weight, ld: k, rows: n, k: k, into: packed)
        matmul(m: m, k: k, a: a, lda: k, packed: packed, panels: 0..<(n / panelWidth), bias: bias, c: c, ldc: n)
        var worst: Float = 0
        for row in 0..<m {
            for column in 0..<n {
                var expected = bias[column]
                for i in 0..<k { expected += a[row * k + i] * weight[column * k + i] }
                worst = max(worst, abs(c[row * n + column] - expected))
            }
        }
        #expect(worst < 1e-4 * Float(k).squareRoot())
    }

    /// Sequences are not padded to the 6-row kernel: the last block may have 1 to 5 rows.
    @Test(arguments: [1, 2, 3, 4, 5, 7, 10, 16, 17])
    func matmulHandlesAShortLastBlockOfRows(m: Int) {
        let k = 40
        let n = 32
        let padded = roundUp(m, toMultipleOf: kernelRows)
        var random = SeededGenerator(seed: UInt64(m))
        let a = (0..<(padded * k)).map { index in index < m * k ? Float.random(in: -1...1, using: &random) : 7 }
        let weight = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &random) }
        let packed = allocateFloats(n * k)
        let c = allocateFloats((padded + 1) * n)
        defer {
            packed.deallocate()
            c.deallocate()
        }
        for i in (padded * n)..<((padded + 1) * n) { c[i] = -42 }  // a row past the padding
        packTransposed(weight, ld: k, rows: n, k: k, into: packed)
        matmul(m: m, k: k, a: a, lda: k, packed: packed, panels: 0..<(n / panelWidth), bias: nil, c: c, ldc: n)
        var worst: Float = 0
        for row in 0..<m {
            for column in 0..<n {
                var expected: Float = 0
                for i in 0..<k { expected += a[row * k + i] * weight[column * k + i] }
                worst = max(worst, abs(c[row * n + column] - expected))
            }
        }
        #expect(worst < 1e-4 * Float(k).squareRoot())
        #expect((0..<n).allSatisfy { c[padded * n + $0] == -42 }, "nothing written past the padded rows")
    }

    @Test func packTransposedZeroPadsPartialPanels() {
        let source: [Float] = (0..<(5 * 3)).map(Float.init)  // 5 rows of 3
        let packed = allocateFloats(panelWidth * 3)
        defer { packed.deallocate() }
        packTransposed(source, ld: 3, rows: 5, k: 3, into: packed)
        for i in 0..<3 {
            for column in 0..<panelWidth {
                #expect(packed[i * panelWidth + column] == (column < 5 ? source[column * 3 + i] : 0))
            }
        }
    }

    @Test func expIsAccurateOverTheSoftmaxRange() {
        var worst: Float = 0
        for step in 0...4000 {
            let x = -87 + Float(step) * 0.0235
            let approximation = exp8(Vector8(repeating: x))[0]
            worst = max(worst, abs(approximation - Foundation.exp(x)) / Foundation.exp(x))
        }
        #expect(worst < 1e-6)
        #expect(exp8(Vector8(repeating: -.infinity))[0] < 1e-37)
    }

    @Test func erfIsAccurate() {
        var worst: Float = 0
        for step in 0...6000 {
            let x = -6 + Float(step) * 0.002
            worst = max(worst, abs(erf8(Vector8(repeating: x))[0] - Float(Foundation.erf(Double(x)))))
        }
        #expect(worst < 1e-6)
    }

    @Test func softmaxSumsToOneAndIgnoresPadding() {
        let row = allocateFloats(16)
        defer { row.deallocate() }
        let logits: [Float] = [3, 1, -2, 0.5, 10, -30, 7, 2, 2, 4]
        for (i, value) in logits.enumerated() { row[i] = value }
        for i in logits.count..<16 { row[i] = 1000 }  // must not count
        let scale: Float = 0.5
        scaledSoftmaxInPlace(row, count: logits.count, paddedCount: 16, scale: scale)
        let exponentials = logits.map { Foundation.exp(($0 - 10) * scale) }
        let total = exponentials.reduce(0, +)
        for (i, value) in exponentials.enumerated() {
            #expect(abs(row[i] - value / total) < 1e-6)
        }
        #expect((logits.count..<16).allSatisfy { row[$0] < 1e-30 })
    }

    @Test func layerNormNormalisesEachRowAfterAddingTheResidual() {
        let columns = 16
        let x = allocateFloats(2 * columns)
        let residual = allocateFloats(2 * columns)
        let gamma = allocateFloats(columns)
        let beta = allocateFloats(columns)
        defer { for pointer in [x, residual, gamma, beta] { pointer.deallocate() } }
        for i in 0..<(2 * columns) {
            x[i] = Float(i % 7)
            residual[i] = Float(i % 3) - 1
        }
        for i in 0..<columns {
            gamma[i] = 2
            beta[i] = 0.5
        }
        let expectedInputs = (0..<(2 * columns)).map { x[$0] + residual[$0] }
        addAndLayerNorm(
            x,
            residual: residual,
            rows: 2,
            columns: columns,
            ld: columns,
            gamma: gamma,
            beta: beta,
            epsilon: 1e-12
        )
        for row in 0..<2 {
            let values = Array(expectedInputs[(row * columns)..<((row + 1) * columns)])
            let mean = values.reduce(0, +) / Float(columns)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(columns)
            for i in 0..<columns {
                let expected = (values[i] - mean) / variance.squareRoot() * 2 + 0.5
                #expect(abs(x[row * columns + i] - expected) < 1e-4)
            }
        }
    }
}

/// SplitMix64: reproducible inputs without depending on the system generator.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
