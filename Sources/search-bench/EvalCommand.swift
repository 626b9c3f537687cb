import Foundation
import PaperboySearch

/// `eval --dataset DIR --split test|train`: lexical nDCG@10 and Recall@100.
enum EvalCommand {
    /// A TREC run file (`qid Q0 docid rank score tag`), so the metrics can be cross-checked
    /// with pytrec_eval.
    static func writeRun(_ index: LexicalIndex, _ dataset: BEIRDataset, to path: String, depth: Int = 100) throws {
        var lines: [String] = []
        for query in dataset.queries {
            for (rank, hit) in index.search(query.text, k: depth).enumerated() {
                lines.append("\(query.id) Q0 \(hit.id) \(rank + 1) \(hit.score) paperboy")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func run(_ arguments: Arguments) throws {
        let directory = URL(filePath: try arguments.required("dataset"))
        let split = arguments.value("split", default: "test")
        let dataset = try BEIRDataset.load(directory: directory, split: split)
        let start = now()
        // --k1, --b, --title-weight override the defaults, for tuning fusion on train runs.
        var parameters = BM25Parameters.default
        if let k1 = arguments.optional("k1").flatMap(Float.init) { parameters.k1 = k1 }
        if let b = arguments.optional("b").flatMap(Float.init) { parameters.b = b }
        if let title = arguments.optional("title-weight").flatMap(Float.init) { parameters.titleWeight = title }
        let index = LexicalIndex(documents: dataset.documents, parameters: parameters)
        let built = now() - start
        let summary = evaluate(index, on: dataset)
        if let path = arguments.optional("run-out") {
            try writeRun(index, dataset, to: path, depth: Int(arguments.value("run-depth", default: "100")) ?? 100)
        }
        print(
            "# \(directory.lastPathComponent) split=\(split): \(index.count) docs, \(summary.queryCount) judged queries, build_s=\(String(format: "%.2f", built))"
        )
        print("lexical nDCG@10=\(format(summary.ndcgAt10)) Recall@100=\(format(summary.recallAt100))")
    }
}
