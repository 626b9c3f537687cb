import Foundation
import GRDB
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyStoreSQLite
import PaperboyTestSupport
import Testing

/// `db copy` and the backup of a PostgreSQL store: whole stores moved table by table between
/// real SQLite files and real PostgreSQL databases, and proved equal row for row.
@Suite struct StoreCopyTests {
    @Test func sqliteToSQLiteCopiesEveryTableAndChecksIt() async throws {
        let source = try TemporaryStore()
        try await fillEveryTable(source.store)
        let target = try TemporaryStore()
        let seen = ProgressLog()
        let report = try await StoreCopier(batchSize: 2) { seen.add($0) }.copy(from: source.store, to: target.store)

        #expect(report.tables.map(\.table) == TransferCatalog.tables.map(\.name))
        for table in report.tables { #expect(table.rows > 0, "\(table.table) has rows to copy") }
        #expect(try await allRows(target.store) == (try await allRows(source.store, portable: true)))
        #expect(seen.done == TransferCatalog.tables.map(\.name), "each table reported done once, in order")
        #expect(seen.batches("papers") > 1, "papers came in several batches of 2")
        let copied = try #require(try await target.store.paper(id: "2405.00001"))
        #expect(copied == (try await source.store.paper(id: "2405.00001")))
    }

    @Test func aNonEmptyTargetIsRefusedUntouchedAndReplacedWithForce() async throws {
        let source = try TemporaryStore()
        try await fillEveryTable(source.store)
        let target = try TemporaryStore()
        _ = try await target.store.importFeedDay(FeedDay("2023-01-02")!, entries: [entry("2301.00001", day: "2023-01-02", upvotes: 9)])
        let before = try await allRows(target.store)

        await #expect(throws: StoreCopyError.targetNotEmpty(tables: ["papers", "daily_entries"])) {
            try await StoreCopier().copy(from: source.store, to: target.store)
        }
        #expect(try await allRows(target.store) == before, "nothing was written")

        let report = try await StoreCopier(force: true).copy(from: source.store, to: target.store)
        #expect(try await allRows(target.store) == (try await allRows(source.store, portable: true)))
        #expect(try await target.store.paper(id: "2301.00001") == nil, "the old data is gone")
        #expect(report.table("papers")?.rows == 3)
    }

    @Test func aMissingSourceFileOrTheSameFileIsRefused() async throws {
        let temporary = try TemporaryStore()
        let missing = temporary.directory.appendingPathComponent("missing.sqlite").path
        await #expect(throws: StoreCopyError.sourceMissing(missing)) {
            try await StoreCopier().copy(from: .sqlite(path: missing), to: .sqlite(path: temporary.path))
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "the missing source was not made")
        let link = temporary.directory.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: temporary.path)
        await #expect(throws: StoreCopyError.sameStore(temporary.path)) {
            try await StoreCopier(force: true).copy(from: .sqlite(path: temporary.path), to: .sqlite(path: link))
        }
    }

    @Test func theChecksumFollowsEveryValue() async throws {
        let first = try TemporaryStore()
        try await fillEveryTable(first.store)
        let second = try TemporaryStore()
        let narrow = try await StoreCopier(batchSize: 2).copy(from: first.store, to: second.store)
        let third = try TemporaryStore()
        let wide = try await StoreCopier(batchSize: 1000).copy(from: second.store, to: third.store)
        #expect(narrow.tables.map(\.checksum) == wide.tables.map(\.checksum), "batches do not change a checksum")

        _ = try await third.store.upvote(paperID: "2405.00002", by: 3)
        let fourth = try TemporaryStore()
        let changed = try await StoreCopier().copy(from: third.store, to: fourth.store)
        #expect(changed.table("upvotes")?.checksum != wide.table("upvotes")?.checksum)
        #expect(changed.table("papers")?.checksum != wide.table("papers")?.checksum, "local_upvotes moved")
        #expect(changed.table("users")?.checksum == wide.table("users")?.checksum)
    }
}

/// The same through PostgreSQL.
@Suite(.enabled(if: PostgresCluster.available || PostgresCluster.required))
struct PostgresStoreCopyTests {
    @Test func sqliteToPostgresToSQLiteKeepsEveryRow() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let source = try TemporaryStore()
        try await fillEveryTable(source.store)
        let original = try await allRows(source.store, portable: true)

        let pgStore = try #require(try await StoreFactory.open(url) as? any TableTransferStore & StoreConnection)
        let there = try await StoreCopier(batchSize: 2).copy(from: source.store, to: pgStore)
        #expect(try await allRows(pgStore) == original)

        let back = try TemporaryStore()
        let again = try await StoreCopier(batchSize: 2).copy(from: pgStore, to: back.store)
        #expect(try await allRows(back.store) == original)
        #expect(there.tables.map(\.rows) == again.tables.map(\.rows))
        #expect(there.tables.map(\.checksum) == again.tables.map(\.checksum), "both sides agree on every table")
        for table in there.tables { #expect(table.rows > 0, "\(table.table) was copied") }
        #expect(try await back.store.paper(id: "2405.00002") == (try await source.store.paper(id: "2405.00002")))

        // The identity sequences continue after the copied ids.
        let database = try #require(URLComponents(string: url)?.path.dropFirst())
        try cluster.psql(
            "INSERT INTO users (email, email_key, name, password_hash, created_at) VALUES ('new@example.org', 'new@example.org', 'new', 'h', 'now')",
            database: String(database)
        )
        try cluster.psql("INSERT INTO sync_runs (source, started_at) VALUES ('hf-daily', 1)", database: String(database))
        let ids = try await pgStore.withTransferSnapshot { snapshot in
            (
                try await snapshot.rows(TransferCatalog.table(named: "users")!, after: nil, limit: 100).map { $0[0] },
                try await snapshot.rows(TransferCatalog.table(named: "sync_runs")!, after: nil, limit: 100).map { $0[0] }
            )
        }
        #expect(ids.0 == [.integer(1), .integer(2), .integer(3), .integer(4)])
        #expect(ids.1 == [.integer(1), .integer(2), .integer(3)])
        await pgStore.close()
    }

    /// PostgreSQL pages through text keys in its collation, SQLite byte by byte: the
    /// checksums agree all the same.
    @Test func checksumsAgreeWhenPostgresOrdersTextKeysItsOwnWay() async throws {
        let cluster = try PostgresCluster.shared.get()
        let name = "paperboy_test_icu_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try cluster.psql("CREATE DATABASE \(name) TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
        let url = "\(cluster.serverURL)/\(name)?sslmode=disable"
        defer { cluster.dropDatabase(url: url) }
        let source = try TemporaryStore()
        try await fillEveryTable(source.store)
        let now = Date(timeIntervalSince1970: 1_724_000_000)
        for lease in ["alpha", "Beta", "gamma", "Épée", "_under"] {
            _ = try await source.store.acquireLease(name: lease, holder: "node", until: now, now: now, stealFrom: nil)
        }
        let byBytes = try await StoreCopier().copy(
            from: .sqlite(path: source.path),
            to: .sqlite(path: source.directory.appendingPathComponent("copy.sqlite").path)
        )
        let there = try await StoreCopier(batchSize: 2).copy(from: .sqlite(path: source.path), to: .postgres(url: url))
        #expect(there.tables.map(\.checksum) == byBytes.tables.map(\.checksum))

        let postgres = try #require(try await StoreFactory.open(url) as? any TableTransferStore & StoreConnection)
        let leases = TransferCatalog.table(named: "leases")!
        let orders = try await (
            source.store.withTransferSnapshot { try await $0.rows(leases, after: nil, limit: 100).map { $0[0] } },
            postgres.withTransferSnapshot { try await $0.rows(leases, after: nil, limit: 100).map { $0[0] } }
        )
        #expect(orders.0 != orders.1, "the two stores read the leases in different orders")
        #expect(Set(orders.0) == Set(orders.1))
        let back = try TemporaryStore()
        let again = try await StoreCopier(batchSize: 2).copy(from: postgres, to: back.store)
        #expect(again.tables.map(\.checksum) == byBytes.tables.map(\.checksum))
        await postgres.close()
    }

    @Test func aNonEmptyPostgresTargetIsRefusedAndReplacedWithForceInOneTransaction() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let small = try TemporaryStore()
        _ = try await small.store.importFeedDay(FeedDay("2023-01-02")!, entries: [entry("2301.00001", day: "2023-01-02", upvotes: 9)])
        let full = try TemporaryStore()
        try await fillEveryTable(full.store)

        let report = try await StoreCopier().copy(from: .sqlite(path: small.path), to: .postgres(url: url))
        #expect(report.table("papers")?.rows == 1 && report.table("users")?.rows == 0)
        let postgres = try #require(try await StoreFactory.open(url) as? any TableTransferStore & StoreConnection)
        let before = try await allRows(postgres)

        await #expect(throws: StoreCopyError.targetNotEmpty(tables: ["papers", "daily_entries"])) {
            try await StoreCopier().copy(from: .sqlite(path: full.path), to: .postgres(url: url))
        }
        #expect(try await allRows(postgres) == before, "nothing was written")

        _ = try await StoreCopier(force: true).copy(from: .sqlite(path: full.path), to: .postgres(url: url))
        #expect(try await allRows(postgres) == (try await allRows(full.store, portable: true)))
        await postgres.close()
    }

    @Test func textAndBlobsSurviveCopyByteForByte() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let source = try TemporaryStore()
        let awkward = [
            "tab\there", "line\nbreak", "carriage\rreturn", #"back\slash \N \. \\x00"#, "\\.", "\"double\" and 'single' quotes",
            "Schrödinger’s 🐈‍⬛ — naïve café, 日本語, \u{2028}\u{7f}\u{1}", "", " ", "trailing backslash\\",
        ]
        let allBytes = Data((0...255).map { UInt8($0) })
        let papers = TransferCatalog.table(named: "papers")!
        let embeddings = TransferCatalog.table(named: "paper_embeddings")!
        let leases = TransferCatalog.table(named: "leases")!
        try await source.store.withTransferWriter { writer in
            try await writer.append(
                awkward.enumerated().map { index, text in
                    papers.columns.map { column -> CellValue in
                        switch column.name {
                        case "id": .text("p\(index)")
                        case "source": .text("hf")
                        case "revision": .integer(0)
                        case _ where column.type == .integer: .integer(index == 0 ? Int64.min : Int64.max - Int64(index))
                        case _ where column.type == .text: .text(text)
                        default: .null
                        }
                    }
                },
                to: papers
            )
            try await writer.append(
                [
                    [.text("p0"), .text("m"), .blob(allBytes), .blob(Data(allBytes.reversed()))],
                    [.text("p1"), .text("m"), .blob(Data()), .null],
                    [.text("p2"), .text("m"), .blob(Data(repeating: 0x5c, count: 3)), .blob(Data([0x0a, 0x09, 0x0d, 0x00]))],
                ],
                to: embeddings
            )
            try await writer.append(
                [0.1, 1e-300, -2.5e300, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1_724_000_000.123456, .infinity, -.infinity]
                    .enumerated().map { [.text("lease \($0)"), .text("holder"), .real($1)] },
                to: leases
            )
        }
        let original = try await allRows(source.store)

        let postgres = try #require(try await StoreFactory.open(url) as? any TableTransferStore & StoreConnection)
        let report = try await StoreCopier().copy(from: source.store, to: postgres)
        #expect(try await allRows(postgres) == original)
        let back = try TemporaryStore()
        let again = try await StoreCopier().copy(from: postgres, to: back.store)
        #expect(try await allRows(back.store) == original)
        #expect(report.tables.map(\.checksum) == again.tables.map(\.checksum))
        await postgres.close()
    }

    @Test func aPostgresBackupIsASQLiteFileThatOpensAsTheStore() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let source = try TemporaryStore()
        try await fillEveryTable(source.store)
        _ = try await StoreCopier().copy(from: .sqlite(path: source.path), to: .postgres(url: url))
        let postgres = try await StoreFactory.open(url)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("backup.sqlite").path
        try Data("an older backup".utf8).write(to: URL(fileURLWithPath: path))
        let report = try await postgres.backup(to: path)
        #expect(report == BackupReport(path: path, bytes: report.bytes, papers: 3, entries: 3, upvotes: 2))
        #expect(report.bytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "backup.sqlite" }
        #expect(leftovers.isEmpty, "no partial file, journal or WAL is left behind")
        let mode = try await DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "delete", "one self-contained file")

        let restored = try SQLitePaperStore(path: path)
        #expect(try await restored.statistics() == StoreStatistics(papers: 3, feedDays: 2, entries: 3))
        #expect(try await allRows(restored) == (try await allRows(source.store, portable: true)))
        #expect(try await restored.paper(id: "2405.00001") == (try await source.store.paper(id: "2405.00001")))

        await #expect(throws: BackupError.targetDirectoryMissing(path: "/nonexistent/dir/b.sqlite", directory: "/nonexistent/dir")) {
            try await postgres.backup(to: "/nonexistent/dir/b.sqlite")
        }
        await #expect(throws: BackupError.targetIsADirectory(path: directory.path)) {
            try await postgres.backup(to: directory.path)
        }
        await postgres.close()
    }
}

/// Every copied table's rows, read through one transfer snapshot; `portable`: as a copy
/// writes them (backend-specific columns reset).
func allRows(_ store: any TableTransferStore, portable: Bool = false) async throws -> [String: Set<[CellValue]>] {
    try await store.withTransferSnapshot { snapshot in
        var tables: [String: Set<[CellValue]>] = [:]
        for table in TransferCatalog.tables {
            let rows = try await snapshot.rows(table, after: nil, limit: 1_000_000)
            tables[table.name] = Set(portable ? rows.map(table.portable) : rows)
        }
        return tables
    }
}

/// Rows in every copied table, through the SQLite store's own methods.
func fillEveryTable(_ store: SQLitePaperStore) async throws {
    let now = Date(timeIntervalSince1970: 1_724_000_000.25)
    var first = entry("2405.00001", day: "2024-05-27", upvotes: 5, title: "Tabs\tand\nnewlines \\ “quotes”")
    first.paper.organization = Organization(name: "org", fullname: "An Org", avatar: "https://example.org/a.png")
    first.paper.githubRepo = "https://github.com/a/b"
    first.paper.githubStars = 42
    first.paper.aiKeywords = ["copy", "ünïcode"]
    first.rawItem = Data(#"{"paper":{"id":"2405.00001"},"numComments":0}"#.utf8)
    first.position = 0
    _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [first, entry("2405.00002", day: "2024-05-27", upvotes: 3)])
    _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [entry("2405.00001", day: "2024-05-28", upvotes: 7)])
    _ = try await store.importArxivPapers([
        Paper(id: "2405.00003", title: "Listed", summary: "Only listed.", categories: ["cs.LG"], source: .arxiv, listingUpdatedAt: "2024-05-29")
    ])
    try await store.saveEmbeddings(
        [
            PaperEmbedding(paperID: "2405.00001", vector: [0.5, -0.25, 1], passages: [[0.5, -0.25, 1], [1, 0, -1]]),
            PaperEmbedding(paperID: "2405.00002", vector: [0, 1, 0]),
        ],
        model: "test-model"
    )

    let ada = try await store.createUser(email: "Ada@Example.org", name: "ada", passwordHash: "$2b$12$hash")
    let bob = try await store.createUser(email: "bob@example.org", name: "Bob", passwordHash: "$2b$12$other")
    _ = try await store.createUser(email: "carol@example.org", name: "carol", passwordHash: "$2b$12$third")
    try await store.createSession(tokenHash: "session-a", readerID: ada.id, csrfToken: "csrf-a", expiresAt: now + 3600, now: now)
    try await store.createSession(tokenHash: "session-anonymous", readerID: nil, csrfToken: "csrf-b", expiresAt: now + 3600, now: now)
    _ = try await store.upvote(paperID: "2405.00001", by: ada.id)
    _ = try await store.upvote(paperID: "2405.00002", by: bob.id)
    let token = try await store.createToken(for: ada.id, name: "laptop", tokenHash: "token-hash-1")
    _ = try await store.createToken(for: bob.id, name: "ci", tokenHash: "token-hash-2")
    _ = try await store.revokeToken(id: token.id, of: ada.id)
    _ = try await store.instanceSecret(named: "link-signing-key")
    let comment = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "**Markdown** with\ttabs")
    let reply = try await store.addComment(paperID: "2405.00001", parentID: comment.id, by: bob.id, body: "A reply")
    _ = try await store.editComment(id: reply.id, body: "An edited reply")
    _ = try await store.reportComment(id: comment.id, by: bob.id, reason: "spam")
    _ = try await store.setCommentHidden(id: reply.id, true, by: AdminActor(ada))
    try await store.setDisplayName(of: bob.id, to: "Bob “the Builder” Ünal")
    let reading = try await store.createCollection(owner: ada.id, name: "Reading “list”", description: "Tabs\tand\nlines", isPublic: true)
    _ = try await store.addPaper("2405.00002", toCollection: reading.id, note: "First")
    _ = try await store.addPaper("2405.00001", toCollection: reading.id, note: nil)

    let reader = try await store.subscribe(email: "ada@example.org", userID: ada.id, now: now)
    _ = try await store.confirm(subscriberID: reader.id, now: now)
    let other = try await store.subscribe(email: "reader@example.org", userID: nil, now: now)
    _ = try await store.confirm(subscriberID: other.id, now: now)
    try await store.markConfirmationSent(subscriberID: other.id, at: now)
    let digestDay = FeedDay("2024-05-28")!
    _ = try await store.enqueueDigest(date: digestDay, now: now)
    try await store.markComposed(
        [
            DigestComposition(subscriberID: reader.id, messageID: "<m1@example.org>", paperIDs: ["2405.00001"], pickIDs: ["2405.00002"]),
            DigestComposition(subscriberID: other.id, messageID: "<m2@example.org>", paperIDs: ["2405.00001"], pickIDs: []),
        ],
        date: digestDay,
        now: now
    )
    try await store.markSent(subscriberID: reader.id, date: digestDay, now: now)
    try await store.markRetry(subscriberID: other.id, date: digestDay, error: "451 try later", nextAttempt: now + 90.5, now: now)
    _ = try await store.acquireLease(name: "digest", holder: "node-1", until: now + 60, now: now, stealFrom: nil)

    try await store.recordSyncedDay(SyncedDay(day: digestDay, fetchedAt: now, items: 2, isEmpty: false))
    try await store.recordSyncedDay(SyncedDay(day: FeedDay("2024-05-26")!, fetchedAt: now + 0.5, items: 0, isEmpty: true))
    try await store.saveHarvestCheckpoint(
        HarvestCheckpoint(source: "arxiv:cs:arXiv", from: "2024-05-01", resumptionToken: "token|1001", records: 1000)
    )
    let run = try await store.beginSyncRun(source: "hf-daily", startedAt: now)
    try await store.finishSyncRun(id: run, endedAt: now + 2.75, counts: SyncCounts(fetched: 2, new: 1, updated: 1), error: nil, keep: 100)
    _ = try await store.beginSyncRun(source: "arxiv:cs", startedAt: now + 10)
    try await store.setNextSyncRun(source: "hf-daily", at: now + 1800)

    _ = try await store.setAdmin(email: "ada@example.org", true, by: AdminActor(readerID: nil, name: "cli"))
    _ = try await store.setEntryHidden(day: FeedDay("2024-05-27")!, paperID: "2405.00002", true, by: AdminActor(ada))
    _ = try await store.setPaperHidden("2405.00003", true, by: AdminActor(ada))
}

/// What a copy reported, in order (its callback runs on the copier's task).
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [StoreCopyProgress] = []

    func add(_ event: StoreCopyProgress) { lock.withLock { events.append(event) } }

    var done: [String] { lock.withLock { events.filter { $0.phase == .done }.map(\.table) } }

    func batches(_ table: String) -> Int {
        lock.withLock { events.filter { $0.table == table && $0.phase == .copying && $0.rows > 0 }.count }
    }
}
