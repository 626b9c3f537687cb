import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyIngest

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import papers from files.",
        subcommands: [HFDaily.self, ArxivJSONL.self]
    )

    struct HFDaily: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hf-daily",
            abstract: "Import Hugging Face daily-papers API responses (YYYY-MM-DD.json files or directories of them)."
        )

        @OptionGroup var options: StoreOptions

        @Argument(help: "Files or directories.")
        var paths: [String]

        func run() async throws {
            let store = try await options.settings().openStore()
            let files = (try? paths.reduce(0) { $0 + (try Self.count($1)) }) ?? 0
            try await report {
                try await Importer(store: store).importHFDaily(
                    paths: paths,
                    progress: ProgressBar(label: "hf-daily", total: files),
                    onRejection: printRejection
                )
            }
        }

        static func count(_ path: String) throws -> Int {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return 1 }
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.count
        }
    }

    struct ArxivJSONL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "arxiv-jsonl",
            abstract: "Import arXiv metadata JSON lines, plain or .gz (arXiv listing crawl or Kaggle snapshot shape)."
        )

        @OptionGroup var options: StoreOptions

        @Argument(help: "Files (.jsonl or .json, plain or .gz) or directories of them.")
        var paths: [String]

        @Option(help: "Reject lines longer than this many bytes, without reading them into memory whole.")
        var maxRecordBytes = LineReader.defaultMaxLineLength

        func validate() throws {
            guard maxRecordBytes > 0 else { throw ValidationError("--max-record-bytes must be positive") }
        }

        func run() async throws {
            let store = try await options.settings().openStore()
            var importer = Importer(store: store)
            importer.maxRecordBytes = maxRecordBytes
            try await report {
                try await importer.importArxivJSONL(
                    paths: paths,
                    progress: ProgressBar(label: "arxiv", total: 100),
                    onRejection: printRejection
                )
            }
        }
    }
}

/// Rejections go to stderr one per line, so stdout keeps just the summary.
func printRejection(_ rejection: Rejection) {
    FileHandle.standardError.write(Data((rejection.description + "\n").utf8))
}

/// Runs an import, prints its summary line with the elapsed time, and turns fatal problems
/// into a one-line message with a non-zero exit status.
func report(_ work: () async throws -> ImportCounts) async throws {
    let start = Date()
    let counts: ImportCounts
    do {
        counts = try await work()
    } catch let error as CustomStringConvertible & Error {
        throw CommandFailure("import failed: \(error.description)")
    }
    let seconds = Date().timeIntervalSince(start)
    let rate = seconds > 0 ? Double(counts.papers) / seconds : 0
    print("\(counts.summaryLine) seconds=\(String(format: "%.2f", seconds)) papers_per_second=\(Int(rate))")
}
