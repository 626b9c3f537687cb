import Foundation
import PaperboySearch

/// The arXiv cs dump plus every Hugging Face daily paper, deduplicated by id — the same
/// corpus `anchor-bench latency` indexes.
struct BenchCorpus {
    var documents: [SearchDocument] = []
    var arxivCount = 0
    var hfOnlyCount = 0

    static func load(data: URL) throws -> BenchCorpus {
        var corpus = BenchCorpus()
        var seen = Set<String>()
        let arxiv = try gunzip(data.appending(path: "arxiv-cs/arxiv_daily_cs.jsonl.gz"))
        for line in arxiv.split(separator: UInt8(ascii: "\n")) {
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let id = object["id"] as? String, seen.insert(id).inserted
            else { continue }
            corpus.documents.append(
                SearchDocument(
                    id: id,
                    title: object["title"] as? String ?? "",
                    abstract: object["summary"] as? String ?? "",
                    authors: object["authors"] as? [String] ?? []
                )
            )
        }
        corpus.arxivCount = corpus.documents.count
        let folder = data.appending(path: "hf-daily-papers")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            .sorted()
        for file in files {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appending(path: file)))
            let items = (json as? [Any]) ?? ((json as? [String: Any])?["data"] as? [Any]) ?? []
            for case let item as [String: Any] in items {
                guard let paper = item["paper"] as? [String: Any], let id = paper["id"] as? String,
                    seen.insert(id).inserted
                else { continue }
                let authors = (paper["authors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                corpus.documents.append(
                    SearchDocument(
                        id: id,
                        title: paper["title"] as? String ?? "",
                        abstract: paper["summary"] as? String ?? "",
                        authors: authors
                    )
                )
                corpus.hfOnlyCount += 1
            }
        }
        return corpus
    }

    /// Decompresses with the system gzip, so the bench needs no zlib binding.
    static func gunzip(_ url: URL) throws -> Data {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw UsageError(message: "gzip failed on \(url.path)") }
        return data
    }
}
