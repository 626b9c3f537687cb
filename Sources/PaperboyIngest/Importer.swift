import Foundation
import PaperboyCore
import PaperboyStore

/// Imports files into a store: Hugging Face daily-paper responses and arXiv JSON lines.
/// Bad records are reported through `onRejection` and skipped; only problems that stop the
/// whole import (a missing file, an unwritable database) throw.
public struct Importer: Sendable {
    public let store: any PaperStore
    public var batchSize = 1000
    /// Longer arXiv lines are rejected, and skipped without being held whole in memory.
    public var maxRecordBytes = LineReader.defaultMaxLineLength

    public init(store: any PaperStore) {
        self.store = store
    }

    public enum ImportError: Error, CustomStringConvertible, Equatable {
        case missingPath(String)
        case noFiles(String, suffixes: [String])
        case unreadable(String, reason: String)

        public var description: String {
            switch self {
            case .missingPath(let path): return "no such file or directory: \(path)"
            case .noFiles(let path, let suffixes):
                let names =
                    suffixes.count > 1
                    ? suffixes.dropLast().joined(separator: ", ") + " or " + suffixes[suffixes.count - 1]
                    : suffixes.joined()
                return "directory \(path) has no \(names) files"
            case .unreadable(let path, let reason): return "\(path) exists but cannot be read: \(reason)"
            }
        }
    }

    /// Imports `YYYY-MM-DD.json` responses; directories are expanded to their `.json` files.
    public func importHFDaily(
        paths: [String],
        progress: ProgressBar? = nil,
        onRejection: (Rejection) -> Void
    ) async throws -> ImportCounts {
        let files = try Self.expand(paths, suffixes: [".json", ".json.gz"])
        let parser = HFDailyParser()
        var counts = ImportCounts()
        for (index, file) in files.enumerated() {
            progress?.update(index, detail: "\(index)/\(files.count) days")
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ImportError.unreadable(file, reason: FileAccess.readProblem(file) ?? "read failed")
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

    /// Imports arXiv metadata JSON lines (plain or gzip), in batches of one transaction each;
    /// directories are expanded to their `.jsonl` and `.json` files (Kaggle's snapshot is JSON
    /// lines named `.json`), gzipped or not.
    public func importArxivJSONL(
        paths: [String],
        progress: ProgressBar? = nil,
        onRejection: (Rejection) -> Void
    ) async throws -> ImportCounts {
        let files = try Self.expand(paths, suffixes: [".jsonl", ".jsonl.gz", ".json", ".json.gz"])
        let parser = ArxivMetadataParser()
        var counts = ImportCounts()
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let reader = try LineReader(path: file, maxLineLength: maxRecordBytes)
            var batch: [Paper] = []
            var seen = Set<String>()
            var lineNumber = 0
            while let record = try reader.nextRecord() {
                lineNumber += 1
                let parsed: Result<Paper, ArxivMetadataParser.ParseProblem>
                switch record {
                case .line(let line):
                    if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
                    parsed = parser.parse(line: line)
                case .oversized(let byteCount):
                    let tooLong = LineReader.ReadError.lineTooLong(byteCount: byteCount, limit: maxRecordBytes)
                    parsed = .failure(ArxivMetadataParser.ParseProblem(reason: tooLong.description))
                }
                switch parsed {
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
                    progress?.update(reader.bytesRead * 100 / max(reader.fileSize, 1), detail: "\(counts.papers) papers")
                }
            }
            if !batch.isEmpty { counts += try await store.importArxivPapers(batch) }
        }
        progress?.finish()
        return counts
    }

    /// The files to read: paths as given, directories expanded to their files ending in one of
    /// `suffixes`. Each is checked readable here, so a bad path stops the import before it writes.
    static func expand(_ paths: [String], suffixes: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImportError.missingPath(path)
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { name in suffixes.contains { name.hasSuffix($0) } }
                    .sorted()
            } catch {
                throw ImportError.unreadable(path, reason: FileAccess.readProblem(path) ?? "cannot list it")
            }
            guard !names.isEmpty else { throw ImportError.noFiles(path, suffixes: suffixes) }
            files += names.map { (path as NSString).appendingPathComponent($0) }
        }
        for file in files {
            if let problem = FileAccess.readProblem(file) { throw ImportError.unreadable(file, reason: problem) }
        }
        return files
    }
}
