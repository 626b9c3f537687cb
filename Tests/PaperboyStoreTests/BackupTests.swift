import Foundation
import GRDB
import PaperboyCore
import PaperboyStore
import PaperboyStoreSQLite
import Testing

/// A count shared across threads; one side can wait for the other's next increments (the
/// backup's progress callback runs on a GRDB queue, outside the test's task).
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private let committed = DispatchSemaphore(value: 0)
    private var total = 0

    var count: Int { lock.withLock { total } }

    func add() {
        lock.withLock { total += 1 }
        committed.signal()
    }

    /// Blocks until `more` increments happen after this call (false after 30 s without them).
    func waitFor(_ more: Int) -> Bool {
        let goal = count + more
        let deadline = DispatchTime.now() + 30
        while count < goal {
            if committed.wait(timeout: deadline) == .timedOut { return false }
        }
        return true
    }
}

/// What a database file holds, read straight from it.
struct FileCounts: Equatable {
    var papers: Int
    var entries: Int
    var upvotes: Int
    var localUpvotes: Int

    init(papers: Int, entries: Int, upvotes: Int, localUpvotes: Int) {
        (self.papers, self.entries, self.upvotes, self.localUpvotes) = (papers, entries, upvotes, localUpvotes)
    }

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        (papers, entries, upvotes, localUpvotes) = try database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM papers") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM daily_entries") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upvotes") ?? -1,
                try Int.fetchOne(db, sql: "SELECT SUM(local_upvotes) FROM papers") ?? -1
            )
        }
        try database.close()
    }
}

@Suite struct BackupTests {
    @Test func aBackupWhileAnotherTaskWritesIsOneCheckedSnapshot() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let seed = (0..<300).map { entry(String(format: "2405.%05d", $0), day: "2024-05-27", upvotes: 1) }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: seed)
        let reader = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        for paper in seed.prefix(20) { _ = try await store.upvote(paperID: paper.paper.id, by: reader.id) }

        let writes = Tally()
        let writer = Task {
            var number = 0
            while !Task.isCancelled {
                let id = String(format: "2406.%05d", number)
                do {
                    _ = try await store.importFeedDay(FeedDay("2024-06-03")!, entries: [entry(id, day: "2024-06-03", upvotes: 0)])
                    _ = try await store.upvote(paperID: id, by: reader.id)
                } catch is CancellationError {
                    return  // GRDB ends a cancelled task's write: the test is done
                }
                writes.add()
                number += 1
            }
        }
        let steps = Tally()
        let writesHeldInFirstStep = Tally()
        let target = temporary.directory.appendingPathComponent("backup.sqlite").path
        let report = try await store.backup(to: target, pagesPerStep: 4) { _ in
            // Hold the first step until the writer has committed a few more papers and votes.
            if steps.count == 0 && writes.waitFor(3) { writesHeldInFirstStep.add() }
            steps.add()
        }
        writer.cancel()
        try await writer.value

        #expect(steps.count > 1, "copied in several steps")
        #expect(writesHeldInFirstStep.count == 1, "the writer committed while the backup was copying")
        let copy = try FileCounts(path: target)
        #expect(
            copy == FileCounts(papers: report.papers, entries: report.entries, upvotes: report.upvotes, localUpvotes: report.upvotes),
            "the copy holds exactly the snapshot the report counted; each vote with its counter"
        )
        #expect(report.papers >= 300 && report.upvotes >= 20)
        let final = try FileCounts(path: temporary.path)
        #expect(report.papers + 3 <= final.papers, "the writes held in the first step are not in the copy")
        #expect(report.upvotes + 3 <= final.upvotes)
        #expect(report.bytes == (try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int))

        let checks = try await DatabaseQueue(path: target).read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(checks.0 == ["ok"])
        #expect(checks.1 == "delete", "one self-contained file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: temporary.directory.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no partial file is left behind")
    }

    @Test func aBackupReplacesAnOldBackupWhole() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let target = temporary.directory.appendingPathComponent("backup.sqlite").path
        try Data("yesterday's backup".utf8).write(to: URL(fileURLWithPath: target))
        let report = try await temporary.store.backup(to: target)
        #expect(report.papers == 1)
        #expect(try FileCounts(path: target).papers == 1)
    }

    @Test func refusedTargetsNameTheProblemAndLeaveEverythingAsItWas() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let missing = temporary.directory.appendingPathComponent("no-such-dir/backup.sqlite").path
        await #expect(
            throws: BackupError.targetDirectoryMissing(path: missing, directory: temporary.directory.appendingPathComponent("no-such-dir").path)
        ) {
            try await store.backup(to: missing)
        }
        await #expect(throws: BackupError.targetIsTheDatabase(path: temporary.path)) {
            try await store.backup(to: temporary.path)
        }
        let roundabout = temporary.directory.appendingPathComponent("../\(temporary.directory.lastPathComponent)/test.sqlite").path
        await #expect(throws: BackupError.targetIsTheDatabase(path: roundabout)) {
            try await store.backup(to: roundabout)
        }
        await #expect(throws: BackupError.targetIsADirectory(path: temporary.directory.path)) {
            try await store.backup(to: temporary.directory.path)
        }
        let open = temporary.directory.appendingPathComponent("open.sqlite").path
        try Data("a database".utf8).write(to: URL(fileURLWithPath: open))
        try Data().write(to: URL(fileURLWithPath: open + "-wal"))
        await #expect(throws: BackupError.targetInUse(path: open, file: "open.sqlite-wal")) {
            try await store.backup(to: open)
        }
        #expect(try String(contentsOfFile: open, encoding: .utf8) == "a database")
        #expect(try await store.statistics().papers == 0, "the database is untouched")
    }
}
