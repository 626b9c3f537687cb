// Element-wise kernels on SIMD8 lanes. Scalar `expf`/`erff` per element would cost more than
// the attention itself, so exp and erf are polynomial approximations accurate to a few ULP.
// Clamping uses `replacing(with:where:)` because `SIMD.clamped` is not vectorised.

typealias Vector8 = SIMD8<Float>

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
}

@inline(__always)
func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
}

@inline(__always)
private func limited(_ x: Vector8, _ low: Float, _ high: Float) -> Vector8 {
    x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
}

/// e^x, Cephes-style: x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n built in the exponent.
@inline(__always)
func exp8(_ input: Vector8) -> Vector8 {
    let x = limited(input, -87.3, 88.3)
    let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Vector8 = Vector8(repeating: 1.987_569_15e-4)
    p = Vector8(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = Vector8(repeating: 8.333_451_9e-3).addingProduct(p, r)
    p = Vector8(repeating: 4.166_579_59e-2).addingProduct(p, r)
    p = Vector8(repeating: 1.666_666_55e-1).addingProduct(p, r)
    p = Vector8(repeating: 5.000_000_12e-1).addingProduct(p, r)
    p = p * (r * r) + r + 1
    // n + 1.5·2^23 holds n in its low mantissa bits; shift them into the exponent field.
    let magic = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((magic &- 0x4B40_0000 &+ 127) &<< 23, to: Vector8.self)
    return p * scale
}

/// erf(x) as Eigen's rational approximation on [-4, 4] (|error| < 5e-7); erf(±4) rounds to ±1.
@inline(__always)
func erf8(_ input: Vector8) -> Vector8 {
    let x = limited(input, -4, 4)
    let x2 = x * x
    var p = Vector8(repeating: -2.726_142_258_013_06e-10)
    p = Vector8(repeating: 2.770_681_424_959_02e-08).addingProduct(p, x2)
    p = Vector8(repeating: -2.101_024_020_825_08e-06).addingProduct(p, x2)
    p = Vector8(repeating: -5.692_506_394_623_46e-05).addingProduct(p, x2)
    p = Vector8(repeating: -7.349_906_303_268_55e-04).addingProduct(p, x2)
    p = Vector8(repeating: -2.954_599_808_540_25e-03).addingProduct(p, x2)
    p = Vector8(repeating: -1.609_603_332_624_15e-02).addingProduct(p, x2)
    var q = Vector8(repeating: -1.456_607_184_649_96e-05)
    q = Vector8(repeating: -2.133_740_552_789_05e-04).addingProduct(q, x2)
    q = Vector8(repeating: -1.682_826_974_382_03e-03).addingProduct(q, x2)
    q = Vector8(repeating: -7.373_329_167_204_68e-03).addingProduct(q, x2)
    q = Vector8(repeating: -1.426_473_905_141_89e-02).addingProduct(q, x2)
    return x * p / q
}

/// In place, GELU with the exact erf form BERT uses: x·½(1 + erf(x/√2)). `count` % 8 == 0.
func geluInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i < count {
        let x = load8(values + i)
        store8(x * 0.5 * (1 + erf8(x * 0.707_106_781_186_547_5)), values + i)
        i += 8
    }
}

/// In place over `rows` rows of width `columns` (a multiple of 8) and stride `ld`:
/// x = LayerNorm(x + residual) with the learned `gamma` and `beta`.
func addAndLayerNorm(
    _ x: UnsafeMutablePointer<Float>,
    residual: UnsafePointer<Float>?,
    rows: Int,
    columns: Int,
    ld: Int,
    gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>,
    epsilon: Float
) {
    for row in 0..<rows {
        let line = x + row * ld
        if let residual {
            let other = residual + row * ld
            var i = 0
            while i < columns {
                store8(load8(line + i) + load8(other + i), line + i)
                i += 8
            }
        }
        var sum = Vector8.zero
        var i = 0
        while i < columns {
            sum += load8(line + i)
            i += 8
        }
        let mean = sum.sum() / Float(columns)
        var squares = Vector8.zero
        i = 0
        while i < columns {
            let d = load8(line + i) - mean
            squares.addProduct(d, d)
            i += 8
        }
        let inverseDeviation = 1 / (squares.sum() / Float(columns) + epsilon).squareRoot()
        i = 0
        while i < columns {
            let normalised = (load8(line + i) - mean) * inverseDeviation
            store8(normalised * load8(gamma + i) + load8(beta + i), line + i)
            i += 8
        }
    }
}

/// Softmax of `row[0..<count]` scaled by `scale` (the 1/√d of attention), in place. The
/// padding from `count` up to `paddedCount` (a multiple of 8) ends up below 1e-37: it is never
/// read, and that little does not move the sum.
func scaledSoftmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int, paddedCount: Int, scale: Float) {
    for i in count..<paddedCount { row[i] = -Float.infinity }
    var maxima = Vector8(repeating: -Float.infinity)
    var i = 0
    while i < paddedCount {
        let x = load8(row + i)
        maxima.replace(with: x, where: x .> maxima)
        i += 8
    }
    let maximum = maxima.max()
    var sum = Vector8.zero
    i = 0
    while i < paddedCount {
        let e = exp8((load8(row + i) - maximum) * scale)
        store8(e, row + i)
        sum += e
        i += 8
    }
    let inverse = 1 / sum.sum()
    i = 0
    while i < paddedCount {
        store8(load8(row + i) * inverse, row + i)
        i += 8
    }
}
