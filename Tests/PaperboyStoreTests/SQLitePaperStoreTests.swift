import Foundation
import GRDB
import PaperboyCore
import PaperboyStore
import PaperboyStoreSQLite
import Testing

/// A fresh database file per test, removed afterwards.
final class TemporaryStore {
    let directory: URL
    let path: String
    let store: SQLitePaperStore

    init(clock: any WallClock = SystemClock(), random: any RandomSource = SystemRandomSource()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-store-\(UUID().uuidString)")
        path = directory.appendingPathComponent("test.sqlite").path
        store = try SQLitePaperStore(path: path, clock: clock, random: random)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

func entry(_ id: String, day: String, upvotes: Int, title: String? = nil, submitter: String = "alice", comments: Int = 0) -> DailyEntry {
    let paper = Paper(
        id: id,
        title: title ?? "Paper \(id)",
        summary: "Abstract of \(id).",
        authors: ["Ada Lovelace", "Alan Turing"],
        publishedAt: "2024-05-24T17:34:15.000Z",
        upvotes: upvotes,
        source: .huggingFace
    )
    return DailyEntry(day: FeedDay(day)!, paper: paper, submitter: Submitter(name: submitter), upvotes: upvotes, numComments: comments)
}

/// What only the SQLite store does; the rest of the contract is in `PaperStoreContractTests`
/// and the other suites parameterised over `StoreBackend`.
@Suite struct SQLitePaperStoreTests {
    @Test func usesWALAndKeepsDataAcrossReopening() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 5)])
        let reopened = try SQLitePaperStore(path: temporary.path)
        #expect(try await reopened.paper(id: "2405.00001")?.upvotes == 5)
        let queue = try DatabaseQueue(path: temporary.path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func reportsAnUnwritableLocationInOneLine() {
        #expect(throws: StoreError.self) { try SQLitePaperStore(path: "/proc/paperboy/cannot.sqlite") }
    }
}
