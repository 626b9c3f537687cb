import Foundation
import MiniLM

/// Turns text into a unit vector. The live implementation is MiniLM; tests may use another.
public protocol TextEmbedder: Sendable {
    /// Stored beside each vector, so vectors of another model are never mixed in.
    var modelName: String { get }
    var dimension: Int { get }
    func embed(_ text: String) -> [Float]
    func embed(batch: [String]) -> [[Float]]
}

/// all-MiniLM-L6-v2 through the pure-Swift `MiniLM` module.
public struct MiniLMTextEmbedder: TextEmbedder {
    /// The same for both precisions: int8 vectors are within cosine 0.995 of float32 ones, close
    /// enough to rank side by side, so a change of precision does not re-embed every paper.
    public let modelName = "all-MiniLM-L6-v2"
    public var dimension: Int { MiniLMEmbedder.dimension }
    public let embedder: MiniLMEmbedder

    /// The model and precision, for caches that must hold exactly one kind of vector (the
    /// float32 name is the plain model name, so caches written before int8 stay valid).
    public var variantName: String {
        embedder.precision == .float32 ? modelName : "\(modelName)-\(embedder.precision.rawValue)"
    }

    /// - Parameter maximumConcurrency: threads for one call; 1 leaves the other core to requests.
    public init(
        modelDirectory: URL,
        precision: MiniLMEmbedder.Precision = MiniLMEmbedder.defaultPrecision,
        maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws {
        embedder = try MiniLMEmbedder(modelDirectory: modelDirectory, precision: precision, maximumConcurrency: maximumConcurrency)
    }

    public func embed(_ text: String) -> [Float] { embedder.embed(text) }
    public func embed(batch: [String]) -> [[Float]] { embedder.embed(batch: batch) }
}

/// What a paper's embedding is computed from: title and abstract, as the BEIR evaluations do.
public func embeddingText(title: String, abstract: String) -> String {
    abstract.isEmpty ? title : title + " " + abstract
}

/// Runs CPU-heavy work on a thread of its own, so it never blocks Swift's cooperative pool
/// (which also serves HTTP requests). A reader's search asks for `.userInitiated`: under a
/// flood of refused requests it then still gets its share of the cores (BENCHMARKS.md,
/// "Overload"); background embedding stays at `.utility`.
public func onComputeThread<T: Sendable>(qos: DispatchQoS.QoSClass = .utility, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: qos).async { continuation.resume(returning: work()) }
    }
}
