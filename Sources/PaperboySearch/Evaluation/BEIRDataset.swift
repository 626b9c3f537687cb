import Foundation

/// A retrieval test collection in the BEIR layout:
/// `corpus.jsonl` (`_id`, `title`, `text`, optional `authors`), `queries.jsonl` (`_id`, `text`)
/// and `qrels/<split>.tsv` (header `query-id corpus-id score`).
public struct BEIRDataset: Sendable {
    public struct Query: Sendable, Hashable {
        public var id: String
        public var text: String
    }

    public var documents: [SearchDocument]
    /// Queries that have judgments in the split, in file order.
    public var queries: [Query]
    /// query id -> document id -> graded relevance.
    public var judgments: [String: [String: Int]]

    public init(documents: [SearchDocument], queries: [Query], judgments: [String: [String: Int]]) {
        self.documents = documents
        self.queries = queries
        self.judgments = judgments
    }

    public enum LoadError: Error, CustomStringConvertible {
        case malformedLine(file: String, line: Int)

        public var description: String {
            switch self {
            case .malformedLine(let file, let line): return "\(file):\(line): not a valid record"
            }
        }
    }

    public static func load(directory: URL, split: String) throws -> BEIRDataset {
        let judgments = try loadJudgments(directory.appending(path: "qrels/\(split).tsv"))
        let corpusURL = directory.appending(path: "corpus.jsonl")
        let documents = try jsonLines(corpusURL).map { object in
            SearchDocument(
                id: stringValue(object["_id"]),
                title: object["title"] as? String ?? "",
                abstract: object["text"] as? String ?? "",
                authors: object["authors"] as? [String] ?? []
            )
        }
        let queries = try jsonLines(directory.appending(path: "queries.jsonl")).map { object in
            Query(id: stringValue(object["_id"]), text: object["text"] as? String ?? "")
        }.filter { judgments[$0.id] != nil }
        return BEIRDataset(documents: documents, queries: queries, judgments: judgments)
    }

    static func loadJudgments(_ url: URL) throws -> [String: [String: Int]] {
        var judgments: [String: [String: Int]] = [:]
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 3, let score = Int(fields[2]) else {
                throw LoadError.malformedLine(file: url.path, line: number + 1)
            }
            judgments[String(fields[0]), default: [:]][String(fields[1])] = score
        }
        return judgments
    }

    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: url)
        var objects: [[String: Any]] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw LoadError.malformedLine(file: url.path, line: number + 1)
            }
            objects.append(object)
        }
        return objects
    }

    /// Ids are strings in BEIR, but some files write them as numbers.
    private static func stringValue(_ value: Any?) -> String {
        if let string = value as? String { return string }
        if let number = value as? NSNumber { return number.stringValue }
        return ""
    }
}
