import Foundation
import MiniLM
import PaperboySearch

/// `embed-sample --count 50000 --out var/ann-sample [--queries FILE] [--model DIR]`: real MiniLM
/// whole-paper vectors for an evenly spaced sample of the bench corpus, and for the anchor
/// queries, so the approximate dense index's recall is measured on real embeddings.
///
/// Writes `papers.f32` (384 float32 per paper, in sample order), `papers.ids` (one id a line)
/// and `queries.f32`. Embedding 50,000 abstracts takes about half an hour on two cores, so
/// `papers.f32` grows a batch at a time and a second run continues where the first stopped.
enum EmbedSampleCommand {
    static func run(_ arguments: Arguments) throws {
        let data = URL(filePath: arguments.value("data", default: "../shared/data"))
        let count = Int(arguments.value("count", default: "50000")) ?? 50_000
        let output = URL(filePath: arguments.value("out", default: "var/ann-sample"))
        let model = URL(filePath: arguments.value("model", default: ".models/all-MiniLM-L6-v2"))
        let embedder = try MiniLMEmbedder(modelDirectory: model)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)

        if let path = arguments.optional("queries") {
            let queries = try String(contentsOfFile: path, encoding: .utf8)
                .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            let target = output.appending(path: "queries.f32")
            if !FileManager.default.fileExists(atPath: target.path) {
                try floats(embedder.embed(batch: queries)).write(to: target)
                print("queries embedded=\(queries.count)")
            }
        }

        let corpus = try BenchCorpus.load(data: data).documents
        let sample = (0..<min(count, corpus.count)).map { corpus[$0 * corpus.count / min(count, corpus.count)] }
        try sample.map(\.id).joined(separator: "\n").write(to: output.appending(path: "papers.ids"), atomically: true, encoding: .utf8)
        let vectorsURL = output.appending(path: "papers.f32")
        if !FileManager.default.fileExists(atPath: vectorsURL.path) {
            _ = FileManager.default.createFile(atPath: vectorsURL.path, contents: nil)
        }
        let file = try FileHandle(forUpdating: vectorsURL)
        defer { try? file.close() }
        let rowBytes = MiniLMEmbedder.dimension * MemoryLayout<Float>.size
        var done = Int(try file.seekToEnd()) / rowBytes
        try file.truncate(atOffset: UInt64(done * rowBytes))
        let start = Date()
        let startedAt = done
        while done < sample.count {
            let batch = sample[done..<min(done + 64, sample.count)]
            let texts = batch.map { $0.abstract.isEmpty ? $0.title : $0.title + " " + $0.abstract }
            try file.write(contentsOf: floats(embedder.embed(batch: texts)))
            done += batch.count
            let rate = Double(done - startedAt) / Date().timeIntervalSince(start)
            print("papers embedded=\(done)/\(sample.count) per_s=\(String(format: "%.1f", rate))")
        }
    }

    static func floats(_ vectors: [[Float]]) -> Data {
        var data = Data(capacity: vectors.count * MiniLMEmbedder.dimension * 4)
        for vector in vectors { vector.withUnsafeBytes { data.append(contentsOf: $0) } }
        return data
    }
}
