// Measures MiniLM embedding speed:
//     swift run -c release minilm-bench [model directory]
// Both precisions are measured (int8 also with its AVX2 kernel where the CPU has AVX-VNNI).
// Speed lives here, not in the unit tests, so that tests never depend on machine load. Each
// figure is taken several times; on a shared machine the best run is the least disturbed one.
import CMiniLMKernels
import Dispatch
import Foundation
import MiniLM

let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let modelDirectory =
    CommandLine.arguments.dropFirst().first.map { URL(fileURLWithPath: $0) }
    ?? ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"].map { URL(fileURLWithPath: $0) }
    ?? repositoryRoot.appendingPathComponent(".models/all-MiniLM-L6-v2")

func seconds(_ work: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// CPU time of the calling thread: unlike wall time, it leaves out the time this thread waited
/// for a core while other processes ran, so single-threaded figures stay comparable on a busy
/// machine.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func cpuSeconds(_ work: () -> Void) -> Double {
    let start = threadCPUSeconds()
    work()
    return threadCPUSeconds() - start
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }

/// An abstract-like text long enough to be truncated to 256 tokens; `variant` varies the words.
func abstract(_ variant: Int) -> String {
    String(
        repeating: "We study sparse retrieval model \(variant) with contrastive pre-training and distillation. ",
        count: 30
    )
}

let threadCounts = Array(Set([1, ProcessInfo.processInfo.activeProcessorCount])).sorted()

/// One precision's figures: load time, query latency, abstracts/s at 1 and all threads.
func measure(_ precision: MiniLMEmbedder.Precision, label: String) throws {
    print("== \(label)")
    let embedders = try threadCounts.map { threads in
        (threads: threads, embedder: try MiniLMEmbedder(modelDirectory: modelDirectory, precision: precision, maximumConcurrency: threads))
    }
    let load = seconds { _ = try? MiniLMEmbedder(modelDirectory: modelDirectory, precision: precision) }
    print("model load: \(format(load * 1e3)) ms")

    // Short texts run on one thread whatever maximumConcurrency says (see parallelTokenThreshold).
    let queryEmbedder = embedders.last!.embedder
    for _ in 0..<10 { _ = queryEmbedder.embed(query) }
    let wall = (0..<300).map { _ in seconds { _ = queryEmbedder.embed(query) } }.sorted()
    let cpu = (0..<300).map { _ in cpuSeconds { _ = queryEmbedder.embed(query) } }.sorted()
    print(
        "query: median \(format(wall[150] * 1e3)) ms, best \(format(wall[0] * 1e3)) ms, p90 \(format(wall[270] * 1e3)) ms; CPU time median \(format(cpu[150] * 1e3)) ms"
    )

    // Would embedding concurrent queries as one batch be faster? A batch of n queries would
    // multiply the same weights by n times the rows; n queries' tokens in one sequence cost
    // the same matrix products (plus a little more attention), so their time a query tells.
    let oneThread = embedders.first!.embedder
    for n in [1, 2, 4, 8, 16] {
        let text = Array(repeating: query, count: n).joined(separator: " ")
        let runs = (0..<60).map { _ in cpuSeconds { _ = oneThread.embed(text) } }.sorted()
        print("\(n) queries' tokens in one pass, 1 thread: CPU time median \(format(runs[30] * 1e3 / Double(n))) ms a query")
    }

    for (threads, embedder) in embedders {
        _ = embedder.embed(batch: Array(abstracts.prefix(threads)))
        let rates = (0..<5).map { _ in Double(abstracts.count) / seconds { _ = embedder.embed(batch: abstracts) } }.sorted()
        print(
            "batch of \(abstracts.count) abstracts, 256 tokens, \(threads) thread(s): best \(format(rates[4])) abstracts/s, median \(format(rates[2])) abstracts/s"
        )
        if threads == 1 {
            let cpu = (0..<3).map { _ in cpuSeconds { _ = embedder.embed(batch: abstracts) } }.min()!
            print("batch, 1 thread, CPU time: \(format(Double(abstracts.count) / cpu)) abstracts/s")
        }
    }
    let single = embedders.last!
    let oneAtATime = seconds { for text in abstracts.prefix(8) { _ = single.embedder.embed(text) } }
    print("one abstract per call, \(single.threads) thread(s): \(format(8 / oneAtATime)) abstracts/s")
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    let dot = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    let norms = a.reduce(Float(0)) { $0 + $1 * $1 } * b.reduce(Float(0)) { $0 + $1 * $1 }
    return dot / norms.squareRoot()
}

/// Cosine of each precision's vectors to sentence-transformers' on the test fixtures.
func reportAgreement() throws {
    struct Case: Decodable {
        let text: String
        let embedding: [Float]
    }
    let fixtures = repositoryRoot.appendingPathComponent("Tests/MiniLMTests/Fixtures/embedding-cases.json")
    let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixtures))
    for precision in MiniLMEmbedder.Precision.allCases {
        let embedder = try MiniLMEmbedder(modelDirectory: modelDirectory, precision: precision)
        let vectors = embedder.embed(batch: cases.map(\.text))
        let cosines = zip(vectors, cases).map { vector, fixture in cosine(vector, fixture.embedding) }
        let mean = cosines.reduce(0, +) / Float(cosines.count)
        print(
            "\(precision): cosine to the reference vectors over \(cases.count) fixtures: min \(String(format: "%.5f", cosines.min()!)), mean \(String(format: "%.5f", mean))"
        )
    }
}

let query = "dense passage retrieval for open-domain question answering with contrastive learning methods"
let abstracts = (0..<24).map(abstract)
do {
    let tokenizer = try WordPieceTokenizer(vocabularyURL: modelDirectory.appendingPathComponent("vocab.txt"))
    print("query: \(tokenizer.encode(query).count) tokens; abstract: \(tokenizer.encode(abstracts[0]).count) tokens")
    let tokenizing = seconds { for text in abstracts { _ = tokenizer.encode(text) } }
    print("tokenizer: \(format(tokenizing / Double(abstracts.count) * 1e3)) ms per abstract")

    try reportAgreement()
    try measure(.float32, label: "float32")
    let vnni = mlk_uses_vnni() != 0
    try measure(.int8, label: vnni ? "int8, AVX-VNNI kernel" : "int8, AVX2 kernel")
    if vnni, mlk_allow_vnni(0) == 0 {
        try measure(.int8, label: "int8, AVX2 kernel (as on a CPU without AVX-VNNI)")
        _ = mlk_allow_vnni(1)
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
