import ArgumentParser
import Foundation
import PaperboyIngest
import PaperboyStore
import PaperboyStoreFactory

#if canImport(Glibc)
import Glibc
#endif

/// `paperboy db copy`: whole-database operations.
struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Whole-database operations: move an installation between SQLite and PostgreSQL.",
        subcommands: [Copy.self]
    )

    /// `paperboy db copy --from LOCATION --to LOCATION [--force]`.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Copy every table of one store into another (SQLite or PostgreSQL, either way), then check each table's row count and checksum on both sides.",
            discussion: """
                The source is read from one snapshot and may keep serving. The target is made and migrated if missing; \
                one that holds any data is refused unless --force. Into PostgreSQL the rows go with COPY in one \
                transaction, so a copy that fails or does not check out writes nothing; into SQLite each batch commits \
                on its own, so run a failed copy again with --force.
                """
        )

        @Option(help: ArgumentHelp("The store to copy: a SQLite file path, sqlite:PATH or postgres://….", valueName: "location"))
        var from: String

        @Option(help: ArgumentHelp("The store to copy into, in the same forms.", valueName: "location"))
        var to: String

        @Flag(help: "Empty a target that holds data first, instead of refusing it.")
        var force = false

        @Option(help: "Rows read and written at a time.")
        var batchSize = 5000

        func validate() throws {
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
            for (name, text) in [("--from", from), ("--to", to)] {
                do {
                    _ = try StoreLocation(text)
                } catch {
                    throw ValidationError("\(name): \(error)")
                }
            }
        }

        func run() async throws {
            let source = try StoreLocation(from)
            let target = try StoreLocation(to)
            let printer = CopyProgressPrinter()
            let copier = StoreCopier(batchSize: batchSize, force: force) { printer.show($0) }
            let report: StoreCopyReport
            do {
                report = try await copier.copy(from: source, to: target)
            } catch {
                printer.finish()
                throw CommandFailure("cannot copy \(source.displayed) to \(target.displayed): \(error)")
            }
            printer.finish()
            print(Self.summary(report))
        }

        /// One line per table (rows, the checksum's first 16 hex digits, seconds), then the total.
        static func summary(_ report: StoreCopyReport) -> String {
            let width = max(5, report.tables.map(\.table.count).max() ?? 0)
            var lines = ["table".padding(toLength: width, withPad: " ", startingAt: 0) + "        rows  checksum          seconds"]
            for table in report.tables {
                let rows = String(table.rows)
                lines.append(
                    table.table.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                        + String(repeating: " ", count: max(0, 10 - rows.count)) + rows + "  "
                        + table.checksum.prefix(16) + "  " + String(format: "%7.2f", table.seconds)
                )
            }
            lines.append(
                "copied=\(report.rows) tables=\(report.tables.count) checked=yes seconds=\(String(format: "%.2f", report.seconds))"
            )
            return lines.joined(separator: "\n")
        }
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, otherwise a line per table done.
final class CopyProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) == 1
    private var bar: ProgressBar?
    private var barKey = ""

    func show(_ progress: StoreCopyProgress) {
        lock.withLock {
            if progress.phase == .done {
                bar?.finish()
                bar = nil
                if !terminal {
                    FileHandle.standardError.write(Data("db copy: \(progress.table) \(progress.rows) rows copied and checked\n".utf8))
                }
                return
            }
            guard terminal else { return }
            let key = "\(progress.table) \(progress.phase.rawValue)"
            if key != barKey || bar == nil {
                bar?.finish()
                bar = ProgressBar(label: "\(progress.phase == .copying ? "copying" : "checking") \(progress.table)", total: progress.total)
                barKey = key
            }
            bar?.update(progress.rows, detail: "\(progress.rows)/\(progress.total) rows")
        }
    }

    func finish() {
        lock.withLock {
            bar?.finish()
            bar = nil
        }
    }
}

extension StoreLocation {
    /// The location for messages: a PostgreSQL URL without its password.
    var displayed: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url):
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = nil
            return components.string ?? url
        }
    }
}
