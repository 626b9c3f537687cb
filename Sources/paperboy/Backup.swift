import ArgumentParser
import Foundation
import PaperboyStore

/// `paperboy backup --to FILE`: a consistent copy of the database, safe while the server runs.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Copy the database to FILE, a SQLite file, while the server keeps serving (SQLite: online backup; PostgreSQL: one snapshot copied table by table; FILE is replaced only by a complete, checked copy)."
    )

    @OptionGroup var options: StoreOptions

    @Option(name: .long, help: ArgumentHelp("The backup file to write (replaced if it exists; its directory must exist).", valueName: "file"))
    var to: String

    func run() async throws {
        let settings = try await options.settings()
        // Opening a SQLite store creates a missing file; backing up an empty new one would hide a typo.
        if case .sqlite(let path) = try? StoreLocation(settings.databasePath), !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure("no database at \(path)")
        }
        let store = try await settings.openStore()
        let started = Date()
        let report: BackupReport
        do {
            report = try await store.backup(to: to)
        } catch {
            throw CommandFailure("\(error)")
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            "backup=\(report.path) bytes=\(report.bytes) papers=\(report.papers) upvotes=\(report.upvotes) seconds=\(String(format: "%.2f", seconds))"
        )
    }
}
