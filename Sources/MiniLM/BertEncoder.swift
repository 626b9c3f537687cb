import CMiniLMKernels
import Dispatch
import Foundation

/// Per-thread scratch for attention heads.
private final class AttentionScratch {
    let scores: UnsafeMutablePointer<Float>
    let packedKeys: UnsafeMutablePointer<Float>
    let packedValues: UnsafeMutablePointer<Float>

    init(rows: Int, keyColumns: Int, tokens: Int) {
        scores = allocateFloats(rows * keyColumns)
        packedKeys = allocateFloats(keyColumns * BertWeights.headSize)
        packedValues = allocateFloats(tokens * BertWeights.headSize)
    }

    deinit {
        scores.deallocate()
        packedKeys.deallocate()
        packedValues.deallocate()
    }
}

/// Scratch memory for one forward pass, never shared between calls.
private final class Workspace {
    let tokens: Int
    /// `tokens` rounded up for the matmul kernel, which may read (and write one of) the extra
    /// rows; they hold harmless finite values and never reach the result.
    let rows: Int
    /// `tokens` rounded up to whole packed panels of keys.
    let keyColumns: Int
    let hidden: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let queryKeyValue: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let intermediate: UnsafeMutablePointer<Float>
    let attention: [AttentionScratch]
    /// A dense layer's input quantised to bytes, and each row's scale and zero point (int8 only).
    let quantized: QuantizedRows?

    init(tokens: Int, threads: Int, precision: MiniLMEmbedder.Precision) {
        self.tokens = tokens
        rows = roundUp(tokens, toMultipleOf: kernelRows)
        keyColumns = roundUp(tokens, toMultipleOf: panelWidth)
        hidden = allocateFloats(rows * BertWeights.hiddenSize)
        scratch = allocateFloats(rows * BertWeights.hiddenSize)
        queryKeyValue = allocateFloats(rows * 3 * BertWeights.hiddenSize)
        context = allocateFloats(rows * BertWeights.hiddenSize)
        intermediate = allocateFloats(rows * BertWeights.intermediateSize)
        attention = (0..<threads).map { [rows, keyColumns] _ in
            AttentionScratch(rows: rows, keyColumns: keyColumns, tokens: tokens)
        }
        quantized = precision == .int8 ? QuantizedRows(rows: rows, columns: BertWeights.intermediateSize) : nil
    }

    deinit {
        for buffer in [hidden, scratch, queryKeyValue, context, intermediate] { buffer.deallocate() }
    }
}

/// Rows of floats as bytes, x ≈ scale · (q - zero) per row, the input of an int8 dense layer.
private final class QuantizedRows {
    let values: UnsafeMutablePointer<UInt8>
    let scales: UnsafeMutablePointer<Float>
    let zeros: UnsafeMutablePointer<Int32>

    init(rows: Int, columns: Int) {
        values = .allocate(capacity: rows * columns)
        values.initialize(repeating: 0, count: rows * columns)
        scales = allocateFloats(rows)
        zeros = .allocate(capacity: rows)
        zeros.initialize(repeating: 0, count: rows)
    }

    deinit {
        values.deallocate()
        scales.deallocate()
        zeros.deallocate()
    }
}

/// Runs `body` on up to `threads` contiguous chunks of `0..<count` (chunk index, range),
/// concurrently when there is more than one.
private func forEachChunk(of count: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) {
    let chunks = min(threads, count)
    guard chunks > 1 else {
        body(0, 0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
    }
}

/// The BERT forward pass plus mean pooling and L2 normalisation, for one token sequence at a
/// time (no padding, so no attention mask is needed). Thread-safe: all state is per call.
struct BertEncoder: Sendable {
    let weights: BertWeights

    /// The L2-normalised mean of the final hidden states of `tokens`, computed on up to
    /// `threads` threads (matmul panels and attention heads are split between them).
    func embed(tokens: [Int32], threads: Int = 1) -> [Float] {
        precondition(!tokens.isEmpty && tokens.count <= BertWeights.maximumPositions)
        let workspace = Workspace(tokens: tokens.count, threads: max(1, threads), precision: weights.precision)
        embedTokens(tokens, into: workspace)
        for layer in weights.layers {
            runLayer(layer, workspace: workspace)
        }
        return meanPooledAndNormalised(workspace.hidden, tokens: tokens.count)
    }

    private func embedTokens(_ tokens: [Int32], into workspace: Workspace) {
        let width = BertWeights.hiddenSize
        for (position, token) in tokens.enumerated() {
            let id = Int(token)
            precondition(id >= 0 && id < BertWeights.vocabularySize, "token id \(id) outside the vocabulary")
            let row = workspace.hidden + position * width
            let word = weights.wordEmbeddings.pointer + id * width
            let place = weights.positionEmbeddings.pointer + position * width
            let segment = weights.tokenTypeEmbedding.pointer
            for i in stride(from: 0, to: width, by: 8) {
                store8(load8(word + i) + load8(place + i) + load8(segment + i), row + i)
            }
        }
        normalise(workspace.hidden, residual: nil, rows: workspace.tokens, with: weights.embeddingNorm)
    }

    private func runLayer(_ layer: EncoderLayer, workspace: Workspace) {
        let rows = workspace.tokens
        dense(layer.queryKeyValue, input: workspace.hidden, output: workspace.queryKeyValue, workspace: workspace)
        forEachChunk(of: BertWeights.headCount, threads: workspace.attention.count) { chunk, heads in
            for head in heads {
                attend(head: head, workspace: workspace, scratch: workspace.attention[chunk])
            }
        }
        dense(layer.attentionOutput, input: workspace.context, output: workspace.scratch, workspace: workspace)
        normalise(workspace.scratch, residual: workspace.hidden, rows: rows, with: layer.attentionNorm)
        // The attention block's output now lives in `scratch`; the feed-forward block writes
        // its result back into `hidden`.
        dense(layer.intermediate, input: workspace.scratch, output: workspace.intermediate, workspace: workspace)
        geluInPlace(workspace.intermediate, count: rows * BertWeights.intermediateSize)
        dense(layer.output, input: workspace.intermediate, output: workspace.hidden, workspace: workspace)
        normalise(workspace.hidden, residual: workspace.scratch, rows: rows, with: layer.outputNorm)
    }

    /// One head of self-attention: softmax(Q·Kᵀ/√d)·V into that head's columns of `context`.
    private func attend(head: Int, workspace: Workspace, scratch: AttentionScratch) {
        let tokens = workspace.tokens
        let stride = 3 * BertWeights.hiddenSize
        let columnOffset = head * BertWeights.headSize
        let queries = workspace.queryKeyValue + columnOffset
        let keys = queries + BertWeights.hiddenSize
        let values = keys + BertWeights.hiddenSize
        packTransposed(keys, ld: stride, rows: tokens, k: BertWeights.headSize, into: scratch.packedKeys)
        matmul(
            m: workspace.tokens,
            k: BertWeights.headSize,
            a: queries,
            lda: stride,
            packed: scratch.packedKeys,
            panels: 0..<(workspace.keyColumns / panelWidth),
            bias: nil,
            c: scratch.scores,
            ldc: workspace.keyColumns
        )
        let scale = 1 / Float(BertWeights.headSize).squareRoot()
        for row in 0..<workspace.tokens {
            scaledSoftmaxInPlace(
                scratch.scores + row * workspace.keyColumns,
                count: tokens,
                paddedCount: workspace.keyColumns,
                scale: scale
            )
        }
        packRowMajor(values, ld: stride, k: tokens, columns: BertWeights.headSize, into: scratch.packedValues)
        matmul(
            m: workspace.tokens,
            k: tokens,
            a: scratch.scores,
            lda: workspace.keyColumns,
            packed: scratch.packedValues,
            panels: 0..<(BertWeights.headSize / panelWidth),
            bias: nil,
            c: workspace.context + columnOffset,
            ldc: BertWeights.hiddenSize
        )
    }

    /// output = input·Wᵀ + b, the output panels split between the workspace's threads.
    private func dense(
        _ layer: DenseLayer,
        input: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>,
        workspace: Workspace
    ) {
        switch layer.packed {
        case .float32(let packed):
            forEachChunk(of: layer.outputs / panelWidth, threads: workspace.attention.count) { _, panels in
                matmul(
                    m: workspace.tokens,
                    k: layer.inputs,
                    a: input,
                    lda: layer.inputs,
                    packed: packed,
                    panels: panels,
                    bias: layer.bias.pointer,
                    c: output,
                    ldc: layer.outputs
                )
            }
        case .int8(let packed, let scales, let sums):
            let rows = workspace.quantized!
            let m = Int32(workspace.tokens)
            let k = Int32(layer.inputs)
            mlk_quantize_rows(input, m, k, k, rows.values, k, rows.scales, rows.zeros)
            sums.withUnsafeBufferPointer { sums in
                forEachChunk(of: layer.outputs / panelWidth, threads: workspace.attention.count) { _, panels in
                    mlk_gemm_u8s8(
                        m,
                        k,
                        rows.values,
                        k,
                        rows.scales,
                        rows.zeros,
                        packed,
                        scales.pointer,
                        sums.baseAddress,
                        layer.bias.pointer,
                        Int32(panels.lowerBound),
                        Int32(panels.upperBound),
                        output,
                        Int32(layer.outputs)
                    )
                }
            }
        }
    }

    private func normalise(
        _ x: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?,
        rows: Int,
        with norm: LayerNormWeights
    ) {
        addAndLayerNorm(
            x,
            residual: residual,
            rows: rows,
            columns: BertWeights.hiddenSize,
            ld: BertWeights.hiddenSize,
            gamma: norm.gamma.pointer,
            beta: norm.beta.pointer,
            epsilon: BertWeights.layerNormEpsilon
        )
    }

    private func meanPooledAndNormalised(_ hidden: UnsafePointer<Float>, tokens: Int) -> [Float] {
        let width = BertWeights.hiddenSize
        var mean = [Float](repeating: 0, count: width)
        for row in 0..<tokens {
            for i in 0..<width { mean[i] += hidden[row * width + i] }
        }
        for i in 0..<width { mean[i] /= Float(tokens) }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return mean.map { $0 / max(norm, 1e-12) }
    }
}
