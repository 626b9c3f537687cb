import CMiniLMKernels
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Immutable, 64-byte aligned floats shared by every thread once loaded.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = allocateFloats(count)
    }

    /// Floats on 2 MiB pages where the OS allows it. The packed weights (42 MB) do not fit in
    /// cache and are streamed from memory on every call; on 4 KiB pages the hardware
    /// prefetcher stops at every page boundary and short queries become memory-bound.
    init(hugePageCount count: Int) {
        self.count = count
        let hugePage = 1 << 21
        let bytes = roundUp(max(count, 1) * MemoryLayout<Float>.size, toMultipleOf: hugePage)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: hugePage)
        #if os(Linux)
        _ = madvise(raw, bytes, MADV_HUGEPAGE)  // only a hint: 4 KiB pages still work
        #endif
        pointer = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// Hands out consecutive slices of one buffer, so that all packed weights share huge pages.
struct WeightArena {
    let storage: FloatBuffer
    private var used = 0

    init(capacity: Int) {
        storage = FloatBuffer(hugePageCount: capacity)
    }

    mutating func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        precondition(used + count <= storage.count, "weight arena too small")
        defer { used = roundUp(used + count, toMultipleOf: 16) }
        return storage.pointer + used
    }
}

/// A Linear layer's weight packed for `matmul`, or quantised for `mlk_gemm_u8s8`, with its bias.
struct DenseLayer: @unchecked Sendable {
    enum Packed {
        case float32(UnsafeMutablePointer<Float>)
        /// Weight ≈ `scales[column]` · q with q in -63…63; `sums[column]` is Σ q over the column.
        case int8(weights: UnsafeMutablePointer<Int8>, scales: FloatBuffer, sums: [Int32])
    }

    let inputs: Int
    let outputs: Int
    let packed: Packed
    let bias: FloatBuffer
    /// Owns the memory `packed` points into.
    private let storage: FloatBuffer

    /// `weight` is PyTorch's row-major `[outputs, inputs]`.
    init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, precision: MiniLMEmbedder.Precision, arena: inout WeightArena) {
        precondition(outputs % panelWidth == 0 && weight.count == inputs * outputs && bias.count == outputs)
        self.inputs = inputs
        self.outputs = outputs
        switch precision {
        case .float32:
            let packed = arena.take(inputs * outputs)
            weight.withUnsafeBufferPointer {
                packTransposed($0.baseAddress!, ld: inputs, rows: outputs, k: inputs, into: packed)
            }
            self.packed = .float32(packed)
        case .int8:
            // A byte per weight: a quarter of the floats the arena hands out.
            let packed = UnsafeMutableRawPointer(arena.take(inputs * outputs / 4)).bindMemory(to: Int8.self, capacity: inputs * outputs)
            let scales = FloatBuffer(count: outputs)
            var sums = [Int32](repeating: 0, count: outputs)
            mlk_pack_weights(weight, Int32(outputs), Int32(inputs), packed, scales.pointer, &sums)
            self.packed = .int8(weights: packed, scales: scales, sums: sums)
        }
        self.bias = FloatBuffer(bias)
        storage = arena.storage
    }
}

struct LayerNormWeights: Sendable {
    let gamma: FloatBuffer
    let beta: FloatBuffer
}

struct EncoderLayer: Sendable {
    /// Query, key and value projections fused into one 384→1152 layer, in that order.
    let queryKeyValue: DenseLayer
    let attentionOutput: DenseLayer
    let attentionNorm: LayerNormWeights
    let intermediate: DenseLayer
    let output: DenseLayer
    let outputNorm: LayerNormWeights
}

/// The all-MiniLM-L6-v2 BERT encoder's weights, read from `model.safetensors`.
struct BertWeights: Sendable {
    static let hiddenSize = 384
    static let headCount = 12
    static let headSize = 32
    static let intermediateSize = 1536
    static let layerCount = 6
    static let vocabularySize = 30522
    static let maximumPositions = 512
    static let layerNormEpsilon: Float = 1e-12

    let wordEmbeddings: FloatBuffer
    let positionEmbeddings: FloatBuffer
    /// Segment 0's embedding: single-sentence inputs never use segment 1.
    let tokenTypeEmbedding: FloatBuffer
    let embeddingNorm: LayerNormWeights
    let layers: [EncoderLayer]
    let precision: MiniLMEmbedder.Precision

    init(safetensorsURL url: URL, precision: MiniLMEmbedder.Precision) throws {
        let file = try SafeTensors(url: url)
        self.precision = precision
        let hidden = Self.hiddenSize
        func norm(_ prefix: String) throws -> LayerNormWeights {
            LayerNormWeights(
                gamma: FloatBuffer(try file.floats("\(prefix).weight", shape: [hidden])),
                beta: FloatBuffer(try file.floats("\(prefix).bias", shape: [hidden]))
            )
        }
        // The feed-forward output layer stays float32 whatever `precision` says: its input, GELU
        // of 1,536 values, quantises worst. In int8 on the test fixtures: min cosine 0.9935 to
        // the reference vectors with it, 0.9958 without.
        let quantizedWeights = (3 * hidden + hidden + Self.intermediateSize) * hidden
        let floatWeights = Self.intermediateSize * hidden
        var arena = WeightArena(
            capacity: Self.layerCount * (precision == .int8 ? quantizedWeights / 4 + floatWeights : quantizedWeights + floatWeights)
        )
        func dense(_ prefix: String, inputs: Int, outputs: Int, precision: MiniLMEmbedder.Precision = precision) throws -> DenseLayer {
            DenseLayer(
                weight: try file.floats("\(prefix).weight", shape: [outputs, inputs]),
                bias: try file.floats("\(prefix).bias", shape: [outputs]),
                inputs: inputs,
                outputs: outputs,
                precision: precision,
                arena: &arena
            )
        }
        wordEmbeddings = FloatBuffer(
            try file.floats("embeddings.word_embeddings.weight", shape: [Self.vocabularySize, hidden])
        )
        positionEmbeddings = FloatBuffer(
            try file.floats("embeddings.position_embeddings.weight", shape: [Self.maximumPositions, hidden])
        )
        tokenTypeEmbedding = FloatBuffer(
            Array(try file.floats("embeddings.token_type_embeddings.weight", shape: [2, hidden]).prefix(hidden))
        )
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<Self.layerCount).map { index in
            let prefix = "encoder.layer.\(index)"
            let attention = "\(prefix).attention.self"
            let projections = try ["query", "key", "value"].map {
                (
                    weight: try file.floats("\(attention).\($0).weight", shape: [hidden, hidden]),
                    bias: try file.floats("\(attention).\($0).bias", shape: [hidden])
                )
            }
            return EncoderLayer(
                queryKeyValue: DenseLayer(
                    weight: projections.flatMap(\.weight),
                    bias: projections.flatMap(\.bias),
                    inputs: hidden,
                    outputs: 3 * hidden,
                    precision: precision,
                    arena: &arena
                ),
                attentionOutput: try dense("\(prefix).attention.output.dense", inputs: hidden, outputs: hidden),
                attentionNorm: try norm("\(prefix).attention.output.LayerNorm"),
                intermediate: try dense("\(prefix).intermediate.dense", inputs: hidden, outputs: Self.intermediateSize),
                output: try dense("\(prefix).output.dense", inputs: Self.intermediateSize, outputs: hidden, precision: .float32),
                outputNorm: try norm("\(prefix).output.LayerNorm")
            )
        }
    }
}
