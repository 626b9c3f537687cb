import Dispatch
import Foundation

/// Sentence embeddings from all-MiniLM-L6-v2, computed in pure Swift.
///
/// Produces the same vectors as sentence-transformers' `all-MiniLM-L6-v2` (cosine ≥ 0.9999):
/// WordPiece tokens (at most 256), a 6-layer BERT encoder, mean pooling and L2 normalisation.
/// Vectors have ``dimension`` components and unit length, so the dot product of two of them is
/// their cosine similarity.
///
/// Loading reads about 90 MB of weights; do it once and share the embedder, which is immutable
/// and safe to use from any number of threads at once. Embedding is synchronous, CPU-bound
/// work (milliseconds for a query, tens of milliseconds per abstract): call it from a thread
/// or dispatch queue of its own rather than from Swift concurrency's cooperative pool.
public final class MiniLMEmbedder: Sendable {
    /// Components in every embedding.
    public static let dimension = 384
    /// Tokens the model sees, `[CLS]` and `[SEP]` included; longer texts are truncated.
    public static let maximumTokenCount = 256

    /// The arithmetic of the encoder's dense layers (90% of its work).
    public enum Precision: String, Sendable, CaseIterable {
        /// Float weights and activations: sentence-transformers' vectors to cosine ≥ 0.9999.
        case float32
        /// Weights quantised per output column and each layer's input per token to 8 bits,
        /// multiplied in integers (AVX2, or AVX-VNNI where the CPU has it), in every dense layer
        /// but the feed-forward output; attention, softmax, LayerNorm and GELU stay in float.
        /// Cosine ≥ 0.995 to float32's vectors.
        case int8
    }

    /// What every caller gets unless it asks: int8, about 1.6× as fast as float32 with
    /// AVX-VNNI. With int8 embeddings SciFact test hybrid nDCG@10 is 0.740 (float32 0.741) and
    /// CACM 0.532 (0.533) (BENCHMARKS.md, "Embedding in int8").
    public static let defaultPrecision = Precision.int8

    /// The tokenizer the embedder uses, exposed for counting tokens.
    public let tokenizer: WordPieceTokenizer
    public let precision: Precision
    private let encoder: BertEncoder
    private let maximumConcurrency: Int

    /// Loads `model.safetensors` and `vocab.txt` from `modelDirectory` (as written by
    /// `scripts/fetch-model.sh`).
    ///
    /// - Parameters:
    ///   - precision: the dense layers' arithmetic.
    ///   - maximumConcurrency: threads one call may use; defaults to all cores. Pass 1 to keep
    ///     all work on the calling thread.
    /// - Throws: ``MiniLMError`` when a file is missing or is not all-MiniLM-L6-v2.
    public init(
        modelDirectory: URL,
        precision: Precision = MiniLMEmbedder.defaultPrecision,
        maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws {
        tokenizer = try WordPieceTokenizer(vocabularyURL: modelDirectory.appendingPathComponent("vocab.txt"))
        encoder = BertEncoder(
            weights: try BertWeights(
                safetensorsURL: modelDirectory.appendingPathComponent("model.safetensors"),
                precision: precision
            )
        )
        self.precision = precision
        self.maximumConcurrency = max(1, maximumConcurrency)
    }

    /// The unit-length embedding of `text`. Texts of 64 tokens or more are computed on up to
    /// `maximumConcurrency` threads, which split the matrix products and attention heads.
    public func embed(_ text: String) -> [Float] {
        let tokens = tokenizer.encode(text, maxLength: Self.maximumTokenCount)
        return encoder.embed(
            tokens: tokens,
            threads: tokens.count < Self.parallelTokenThreshold ? 1 : maximumConcurrency
        )
    }

    /// Below this many tokens one thread is as fast as two: a short query is bound by streaming
    /// the weights from memory, and waking a second thread for each of the 30 matrix products
    /// costs what it saves (measured: 16 tokens, 5.8 ms on one thread, 6.0 ms on two).
    static let parallelTokenThreshold = 64

    /// The embeddings of `texts`, in order, computed on up to `maximumConcurrency` threads.
    /// Equal to calling ``embed(_:)`` on each text.
    public func embed(batch texts: [String]) -> [[Float]] {
        let workers = min(maximumConcurrency, texts.count)
        guard workers > 1 else { return texts.map(embed) }
        // One text per thread: no synchronisation inside a forward pass, so batches scale best.
        var results = [[Float]](repeating: [], count: texts.count)
        let queue = IndexQueue(count: texts.count)
        results.withUnsafeMutableBufferPointer { slots in
            // Each worker claims the next unclaimed text, so long and short texts balance out.
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let index = queue.next() {
                    let tokens = tokenizer.encode(texts[index], maxLength: Self.maximumTokenCount)
                    slots[index] = encoder.embed(tokens: tokens, threads: 1)
                }
            }
        }
        return results
    }
}

/// Hands out 0, 1, 2, … `count - 1` once each to competing threads.
private final class IndexQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }
}
