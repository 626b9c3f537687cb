import Foundation
import PaperboyCore
import PaperboyStore

/// Imports files into a store: Hugging Face daily-paper responses and arXiv JSON lines.
/// Bad records are reported through `onRejection` and skipped; only problems that stop the
/// whole import (a missing file, an unwritable database) throw.
public struct Importer: Sendable {
    public let store: any PaperStore
    public var batchSize = 1000

    public init(store: any PaperStore) {
        self.store = store
    }

    public enum ImportError: Error, CustomStringConvertible, Equatable {
        case missingPath(String)
        case noFiles(String)

        public var description: String {
            switch self {
            case .missingPath(let path): return "no such file or directory: \(path)"
            case .noFiles(let path): return "no .json files in \(path)"
            }
        }
    }

    /// Imports `YYYY-MM-DD.json` responses; directories are expanded to their `.json` files.
    public func importHFDaily(
        paths: [String], progress: ProgressBar? = nil, onRejection: (Rejection) -> Void
    ) async throws -> ImportCounts {
        let files = try Self.expand(paths, fileExtension: "json")
        let parser = HFDailyParser()
        var counts = ImportCounts()
        for (index, file) in files.enumerated() {
            progress?.update(index, detail: "\(index)/\(files.count) days")
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ImportError.missingPath(file)
            }
            let parsed: HFDailyParser.ParsedDay
            do {
                parsed = try parser.parse(data, fileName: name)
            } catch let error as HFDailyParser.FileError {
                onRejection(Rejection(file: name, index: 0, reason: error.description))
                counts.rejected += 1
                continue
            }
            parsed.rejections.forEach(onRejection)
            counts += try await store.importFeedDay(parsed.day, entries: parsed.entries)
            counts.rejected += parsed.rejections.count
        }
        progress?.finish()
        return counts
    }

    /// Imports arXiv metadata JSON lines (plain or gzip), in batches of one transaction each.
    public func importArxivJSONL(
        paths: [String], progress: ProgressBar? = nil, onRejection: (Rejection) -> Void
    ) async throws -> ImportCounts {
        let files = try Self.expand(paths, fileExtension: "jsonl")
        let parser = ArxivMetadataParser()
        var counts = ImportCounts()
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let reader = try LineReader(path: file)
            var batch: [Paper] = []
            var seen = Set<String>()
            var lineNumber = 0
            while let line = try reader.nextLine() {
                lineNumber += 1
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
                switch parser.parse(line: line) {
                case .success(let paper):
                    if seen.insert(paper.id).inserted {
                        batch.append(paper)
                    } else {
                        // The same id twice in one file: the later record wins within its batch.
                        if let earlier = batch.firstIndex(where: { $0.id == paper.id }) {
                            batch[earlier] = paper
                        } else {
                            batch.append(paper)
                        }
                    }
                case .failure(let problem):
                    onRejection(Rejection(file: name, index: lineNumber, reason: problem.reason))
                    counts.rejected += 1
                }
                if batch.count >= batchSize {
                    counts += try await store.importArxivPapers(batch)
                    batch.removeAll(keepingCapacity: true)
                    progress?.update(reader.bytesRead * 100 / max(reader.fileSize, 1) , detail: "\(counts.papers) papers")
                }
            }
            if !batch.isEmpty { counts += try await store.importArxivPapers(batch) }
        }
        progress?.finish()
        return counts
    }

    static func expand(_ paths: [String], fileExtension: String) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImportError.missingPath(path)
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { $0.hasSuffix(".\(fileExtension)") || $0.hasSuffix(".\(fileExtension).gz") }
                    .sorted()
                guard !names.isEmpty else { throw ImportError.noFiles(path) }
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }
}
