import CPrefetch

// The matrix-multiply kernel behind every dense layer and attention product.
//
// C[m×n] = A[m×k] · B[k×n] (+ bias), with B "packed": split into panels of 16 columns, each
// panel stored k×16 contiguously, so that the kernel reads B strictly sequentially. Weights are
// packed once at load time; attention packs its keys and values per call.
//
// The 6×16 micro-kernel keeps a 6-row by 16-column block of C in 12 SIMD8 registers (AVX2 has
// 16), streaming one 16-wide row of B and 6 broadcast values of A per step of k.

/// Rows of C computed together by the micro-kernel; callers pad `m` to a multiple of this.
let kernelRows = 6
/// Columns in a packed panel; packed matrices pad `n` to a multiple of this.
let panelWidth = 16
/// Depth of one pass over a panel: a 384×16 slab of B (24 KiB) stays in L1 while A streams.
private let depthBlock = 384

/// How a micro-kernel call starts its accumulators.
enum KernelStart {
    case zero
    case bias(UnsafePointer<Float>)
    /// Adds onto what C already holds: the second and later depth blocks.
    case accumulate
}

/// Rounds `value` up to a multiple of `multiple`.
@inline(__always)
func roundUp(_ value: Int, toMultipleOf multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// 64-byte aligned float storage, freed by `deallocate()`.
@inline(__always)
func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
    return raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
}

/// Packs B given as its transpose, `rows` output columns of `k` values each (PyTorch's
/// `[out, in]` Linear weight, or attention keys): B[i][j] = source[j*ld + i].
/// Columns past `rows` up to the panel width are zero.
func packTransposed(
    _ source: UnsafePointer<Float>,
    ld: Int,
    rows: Int,
    k: Int,
    into packed: UnsafeMutablePointer<Float>
) {
    let panels = roundUp(rows, toMultipleOf: panelWidth) / panelWidth
    for panel in 0..<panels {
        let destination = packed + panel * k * panelWidth
        for column in 0..<panelWidth {
            let row = panel * panelWidth + column
            if row < rows {
                let from = source + row * ld
                for i in 0..<k { destination[i * panelWidth + column] = from[i] }
            } else {
                for i in 0..<k { destination[i * panelWidth + column] = 0 }
            }
        }
    }
}

/// Packs B given row-major, `k` rows of `columns` values (a multiple of 16), `ld` apart.
func packRowMajor(
    _ source: UnsafePointer<Float>,
    ld: Int,
    k: Int,
    columns: Int,
    into packed: UnsafeMutablePointer<Float>
) {
    for panel in 0..<(columns / panelWidth) {
        let destination = packed + panel * k * panelWidth
        for i in 0..<k {
            (destination + i * panelWidth).update(from: source + i * ld + panel * panelWidth, count: panelWidth)
        }
    }
}

/// C = A·B (+ bias) for the packed panels in `panels` (all by default); A is row-major with
/// leading dimension `lda`, C with `ldc`. The last block of rows may be short: A and C must
/// then have room for `m` rounded up to a multiple of `kernelRows`, as the kernels may read and
/// write those extra rows (short blocks of 1 to 4 rows use a 4-row kernel, of 5 the 6-row one).
func matmul(
    m: Int,
    k: Int,
    a: UnsafePointer<Float>,
    lda: Int,
    packed b: UnsafePointer<Float>,
    panels: Range<Int>,
    bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>,
    ldc: Int
) {
    var depthStart = 0
    while depthStart < k {
        let depth = min(depthBlock, k - depthStart)
        for panel in panels {
            // The slab after this one, fetched while this one is multiplied: a short query does
            // so little arithmetic per weight that waiting for memory would otherwise halve its
            // speed (the weights, 42 MB, never stay in cache).
            let nextSlab: UnsafePointer<Float>? =
                panel + 1 < panels.upperBound
                ? b + (panel + 1) * k * panelWidth + depthStart * panelWidth
                : depthStart + depth < k ? b + panels.lowerBound * k * panelWidth + (depthStart + depth) * panelWidth : nil
            let nextDepth = panel + 1 < panels.upperBound ? depth : min(depthBlock, k - depthStart - depth)
            let column = panel * panelWidth
            let start: KernelStart
            if depthStart > 0 {
                start = .accumulate
            } else if let bias {
                start = .bias(bias + column)
            } else {
                start = .zero
            }
            let panelB = b + panel * k * panelWidth + depthStart * panelWidth
            var row = 0
            while row < m {
                // Only the first pass over the slab prefetches; later ones find it in L1.
                let prefetch = row == 0 ? nextSlab.map { ($0, nextDepth) } : nil
                if m - row <= 4 {
                    kernel4x16(
                        depth: depth,
                        a: a + row * lda + depthStart,
                        lda: lda,
                        b: panelB,
                        c: c + row * ldc + column,
                        ldc: ldc,
                        start: start,
                        prefetch: prefetch
                    )
                } else {
                    kernel6x16(
                        depth: depth,
                        a: a + row * lda + depthStart,
                        lda: lda,
                        b: panelB,
                        c: c + row * ldc + column,
                        ldc: ldc,
                        start: start,
                        prefetch: prefetch
                    )
                }
                row += kernelRows
            }
        }
        depthStart += depth
    }
}

// Debug builds compile file by file, and a helper in another file would not be inlined into
// the hot loop: hence these file-private copies of VectorMath's load8/store8.
@inline(__always)
private func loadLanes(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func storeLanes(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}

@inline(__always)
private func kernel6x16(
    depth: Int,
    a: UnsafePointer<Float>,
    lda: Int,
    b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>,
    ldc: Int,
    start: KernelStart,
    prefetch: (slab: UnsafePointer<Float>, depth: Int)?
) {
    // One 64-byte line (a 16-float row of the next slab) per step of k, in the first pass only.
    let ahead = prefetch?.slab ?? b
    let lines = min(prefetch?.depth ?? 0, depth)
    var c00: SIMD8<Float>
    var c01: SIMD8<Float>
    var c10: SIMD8<Float>
    var c11: SIMD8<Float>
    var c20: SIMD8<Float>
    var c21: SIMD8<Float>
    var c30: SIMD8<Float>
    var c31: SIMD8<Float>
    var c40: SIMD8<Float>
    var c41: SIMD8<Float>
    var c50: SIMD8<Float>
    var c51: SIMD8<Float>
    switch start {
    case .zero:
        c00 = .zero
        c01 = .zero
        c10 = .zero
        c11 = .zero
        c20 = .zero
        c21 = .zero
        c30 = .zero
        c31 = .zero
        c40 = .zero
        c41 = .zero
        c50 = .zero
        c51 = .zero
    case .bias(let bias):
        let b0 = loadLanes(bias)
        let b1 = loadLanes(bias + 8)
        c00 = b0
        c01 = b1
        c10 = b0
        c11 = b1
        c20 = b0
        c21 = b1
        c30 = b0
        c31 = b1
        c40 = b0
        c41 = b1
        c50 = b0
        c51 = b1
    case .accumulate:
        c00 = loadLanes(c)
        c01 = loadLanes(c + 8)
        c10 = loadLanes(c + ldc)
        c11 = loadLanes(c + ldc + 8)
        c20 = loadLanes(c + 2 * ldc)
        c21 = loadLanes(c + 2 * ldc + 8)
        c30 = loadLanes(c + 3 * ldc)
        c31 = loadLanes(c + 3 * ldc + 8)
        c40 = loadLanes(c + 4 * ldc)
        c41 = loadLanes(c + 4 * ldc + 8)
        c50 = loadLanes(c + 5 * ldc)
        c51 = loadLanes(c + 5 * ldc + 8)
    }
    let a0 = a
    let a1 = a + lda
    let a2 = a + 2 * lda
    let a3 = a + 3 * lda
    let a4 = a + 4 * lda
    let a5 = a + 5 * lda
    var pb = b
    for i in 0..<depth {
        if i < lines { cprefetch_read(ahead + i * panelWidth) }
        let b0 = loadLanes(pb)
        let b1 = loadLanes(pb + 8)
        var x = SIMD8<Float>(repeating: a0[i])
        c00.addProduct(x, b0)
        c01.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a1[i])
        c10.addProduct(x, b0)
        c11.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a2[i])
        c20.addProduct(x, b0)
        c21.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a3[i])
        c30.addProduct(x, b0)
        c31.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a4[i])
        c40.addProduct(x, b0)
        c41.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a5[i])
        c50.addProduct(x, b0)
        c51.addProduct(x, b1)
        pb += panelWidth
    }
    storeLanes(c00, c)
    storeLanes(c01, c + 8)
    storeLanes(c10, c + ldc)
    storeLanes(c11, c + ldc + 8)
    storeLanes(c20, c + 2 * ldc)
    storeLanes(c21, c + 2 * ldc + 8)
    storeLanes(c30, c + 3 * ldc)
    storeLanes(c31, c + 3 * ldc + 8)
    storeLanes(c40, c + 4 * ldc)
    storeLanes(c41, c + 4 * ldc + 8)
    storeLanes(c50, c + 5 * ldc)
    storeLanes(c51, c + 5 * ldc + 8)
}

/// The 6×16 kernel's short sibling for the last rows of a sequence: a 16-token query is
/// 6 + 6 + 4 rows rather than 18 (a ninth of the work saved).
@inline(__always)
private func kernel4x16(
    depth: Int,
    a: UnsafePointer<Float>,
    lda: Int,
    b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>,
    ldc: Int,
    start: KernelStart,
    prefetch: (slab: UnsafePointer<Float>, depth: Int)?
) {
    // One 64-byte line (a 16-float row of the next slab) per step of k, in the first pass only.
    let ahead = prefetch?.slab ?? b
    let lines = min(prefetch?.depth ?? 0, depth)
    var c00: SIMD8<Float>
    var c01: SIMD8<Float>
    var c10: SIMD8<Float>
    var c11: SIMD8<Float>
    var c20: SIMD8<Float>
    var c21: SIMD8<Float>
    var c30: SIMD8<Float>
    var c31: SIMD8<Float>
    switch start {
    case .zero:
        c00 = .zero
        c01 = .zero
        c10 = .zero
        c11 = .zero
        c20 = .zero
        c21 = .zero
        c30 = .zero
        c31 = .zero
    case .bias(let bias):
        let b0 = loadLanes(bias)
        let b1 = loadLanes(bias + 8)
        c00 = b0
        c01 = b1
        c10 = b0
        c11 = b1
        c20 = b0
        c21 = b1
        c30 = b0
        c31 = b1
    case .accumulate:
        c00 = loadLanes(c)
        c01 = loadLanes(c + 8)
        c10 = loadLanes(c + ldc)
        c11 = loadLanes(c + ldc + 8)
        c20 = loadLanes(c + 2 * ldc)
        c21 = loadLanes(c + 2 * ldc + 8)
        c30 = loadLanes(c + 3 * ldc)
        c31 = loadLanes(c + 3 * ldc + 8)
    }
    let a0 = a
    let a1 = a + lda
    let a2 = a + 2 * lda
    let a3 = a + 3 * lda
    var pb = b
    for i in 0..<depth {
        if i < lines { cprefetch_read(ahead + i * panelWidth) }
        let b0 = loadLanes(pb)
        let b1 = loadLanes(pb + 8)
        var x = SIMD8<Float>(repeating: a0[i])
        c00.addProduct(x, b0)
        c01.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a1[i])
        c10.addProduct(x, b0)
        c11.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a2[i])
        c20.addProduct(x, b0)
        c21.addProduct(x, b1)
        x = SIMD8<Float>(repeating: a3[i])
        c30.addProduct(x, b0)
        c31.addProduct(x, b1)
        pb += panelWidth
    }
    storeLanes(c00, c)
    storeLanes(c01, c + 8)
    storeLanes(c10, c + ldc)
    storeLanes(c11, c + ldc + 8)
    storeLanes(c20, c + 2 * ldc)
    storeLanes(c21, c + 2 * ldc + 8)
    storeLanes(c30, c + 3 * ldc)
    storeLanes(c31, c + 3 * ldc + 8)
}
