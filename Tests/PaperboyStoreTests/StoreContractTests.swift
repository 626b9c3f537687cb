import Foundation
import GRDB
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

/// Every store backend, opened from a location the way the command line does: SQLite, and
/// PostgreSQL on the throwaway cluster of this test process (`PostgresCluster`). The contract
/// below is written against the protocols only.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// PostgreSQL is left out only where it is not installed and CI is not running.
    static var allCases: [StoreBackend] {
        PostgresCluster.available || PostgresCluster.required ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A new, empty store and a clean-up for it.
    func makeStore(
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource()
    ) async throws -> (store: any AppStore, cleanUp: @Sendable () -> Void) {
        let made = try await makeLocatedStore(clock: clock, random: random)
        return (made.store, made.cleanUp)
    }

    /// A new, empty store, its location (for `strings(_:in:)`) and a clean-up for it.
    func makeLocatedStore(
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource()
    ) async throws -> (store: any AppStore, location: String, cleanUp: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-contract-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let location = "sqlite:" + directory.appendingPathComponent("store.sqlite").path
            let store = try await StoreFactory.open(location, clock: clock, random: random)
            return (store, location, { try? FileManager.default.removeItem(at: directory) })
        case .postgres:
            let cluster = try PostgresCluster.shared.get()
            let url = try await cluster.makeDatabase()
            let store = try await StoreFactory.open(url, clock: clock, random: random)
            // Closed and dropped in the background: `defer` cannot wait, and nothing else
            // uses the database.
            return (
                store,
                url,
                {
                    Task {
                        await store.close()
                        cluster.dropDatabase(url: url)
                    }
                }
            )
        }
    }

    /// The first column of each row of `sql`, as text, read straight from the database at
    /// `location`: what the protocols do not show, such as the stamps a store writes.
    func strings(_ sql: String, in location: String) async throws -> [String] {
        switch self {
        case .sqlite:
            let path = String(location.dropFirst("sqlite:".count))
            return try await DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: sql) }
        case .postgres:
            // psql's \copy writes the rows to a file here; it takes one line of SQL.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-rows-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            let query = sql.split(whereSeparator: \.isNewline).joined(separator: " ")
            try PostgresCluster.shared.get().psql("\\copy (\(query)) TO '\(file)'", database: Self.databaseName(location))
            return try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast().map(String.init)
        }
    }

    /// The database a `postgres://` URL names.
    static func databaseName(_ url: String) -> String {
        String(URLComponents(string: url)?.path.dropFirst() ?? "")
    }
}

/// What any store must do, whatever keeps the data.
@Suite struct StoreContractTests {
    @Test(arguments: StoreBackend.allCases)
    func rowsAreDatedByTheInjectedClockAndSecretsComeFromTheInjectedRandomness(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12), random: SeededRandomSource(seed: 42))
        defer { cleanUp() }
        let reader = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        let token = try await store.createToken(for: reader.id, name: "cli", tokenHash: "t")
        #expect(token.createdAt == "2024-05-28T12:00:00Z")
        let secret = try await store.instanceSecret(named: "k")
        #expect(secret == SeededRandomSource(seed: 42).hex(32))

        let (again, cleanUpAgain) = try await backend.makeStore(random: SeededRandomSource(seed: 42))
        defer { cleanUpAgain() }
        #expect(try await again.instanceSecret(named: "k") == secret, "the same seed, the same secret")
        let (other, cleanUpOther) = try await backend.makeStore(random: SeededRandomSource(seed: 43))
        defer { cleanUpOther() }
        #expect(try await other.instanceSecret(named: "k") != secret)
    }

    @Test(arguments: StoreBackend.allCases)
    func aFeedDayReadsBackAsImportedAndReimportingChangesNothing(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let day = [entry("2405.00001", day: "2024-05-27", upvotes: 7), entry("2405.00002", day: "2024-05-27", upvotes: 3)]
        let first = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: day)
        #expect(first.papers == 2)
        #expect(first.new == 2)
        let again = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: day)
        #expect(again.new == 0)
        #expect(again.updated == 0)
        let paper = try #require(try await store.paper(id: "2405.00001"))
        #expect(paper.title == "Paper 2405.00001")
        #expect(paper.authors == ["Ada Lovelace", "Alan Turing"])
        let entries = try await store.feedEntries(FeedQuery(days: FeedDay("2024-05-27")!...FeedDay("2024-05-27")!, limit: 10))
        #expect(Set(entries.map(\.paper.id)) == ["2405.00001", "2405.00002"])
    }

    @Test(arguments: StoreBackend.allCases)
    func aCapturedItemReadsBackByteForByteAndAChangedCaptureReplacesIt(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let feedDay = FeedDay("2024-05-27")!
        let raw = Data(#"{"paper":{"id":"2405.00001","upvotes":7,"unknown":["ü",1.50]},"mediaUrls":[]}"#.utf8)
        var captured = entry("2405.00001", day: "2024-05-27", upvotes: 7)
        captured.rawItem = raw
        captured.position = 3
        let local = entry("2405.00002", day: "2024-05-27", upvotes: 0)
        _ = try await store.importFeedDay(feedDay, entries: [captured, local])
        let entries = try await store.feedEntries(FeedQuery(days: feedDay...feedDay, limit: 10))
        let read = try #require(entries.first { $0.paper.id == "2405.00001" })
        #expect(read.rawItem == raw)
        #expect(read.position == 3)
        let other = try #require(entries.first { $0.paper.id == "2405.00002" })
        #expect(other.rawItem == nil && other.position == nil, "an entry made here has no capture")

        let again = try await store.importFeedDay(feedDay, entries: [captured, local])
        #expect(again.new == 0 && again.updated == 0, "the same capture again changes nothing")
        var respelled = captured
        respelled.rawItem = Data(#"{"mediaUrls": [], "paper": {"unknown": ["\u00fc", 1.50], "upvotes": 7, "id": "2405.00001"}}"#.utf8)
        let rewritten = try await store.importFeedDay(feedDay, entries: [respelled])
        #expect(rewritten.updated == 0, "the same values written out by another serialiser are no change")
        captured.rawItem = Data(#"{"paper":{"id":"2405.00001","upvotes":7,"unknown":"changed"}}"#.utf8)
        let changed = try await store.importFeedDay(feedDay, entries: [captured])
        #expect(changed.updated == 1, "a field only the raw item holds changed: the entry is updated")
        let reread = try await store.feedEntries(FeedQuery(days: feedDay...feedDay, limit: 10))
        #expect(reread.first { $0.paper.id == "2405.00001" }?.rawItem == captured.rawItem)
    }

    @Test(arguments: StoreBackend.allCases)
    func equalUpvotesKeepTheCapturesOrderAndLocalVotesStillRank(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let feedDay = FeedDay("2024-05-27")!
        // Captured in this order, ids deliberately not sorted: the tie must keep the capture's order.
        let captured = [("2405.00009", 9), ("2405.00005", 4), ("2405.00003", 4), ("2405.00007", 4), ("2405.00001", 1)]
        let entries = captured.enumerated().map { position, pair in
            var item = entry(pair.0, day: "2024-05-27", upvotes: pair.1)
            item.position = position
            item.rawItem = Data(#"{"paper":{"id":"\#(pair.0)"}}"#.utf8)
            return item
        }
        _ = try await store.importFeedDay(feedDay, entries: entries.reversed())
        for order in [FeedQuery.Order.upvotes, .newest] {
            let read = try await store.feedEntries(FeedQuery(days: feedDay...feedDay, order: order, limit: 10))
            #expect(read.map(\.paper.id) == captured.map(\.0), "\(order)")
        }
        let reader = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "x")
        _ = try await store.upvote(paperID: "2405.00003", by: reader.id)
        let voted = try await store.feedEntries(FeedQuery(days: feedDay...feedDay, limit: 10))
        #expect(voted.map(\.paper.id) == ["2405.00009", "2405.00003", "2405.00005", "2405.00007", "2405.00001"])
    }

    @Test(arguments: StoreBackend.allCases)
    func aPastDayRanksByItsOwnCaptureWhenALaterDayCapturedMore(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let early = FeedDay("2024-05-27")!
        var first = entry("2405.00001", day: "2024-05-27", upvotes: 5)
        var second = entry("2405.00002", day: "2024-05-27", upvotes: 3)
        (first.position, second.position) = (0, 1)
        _ = try await store.importFeedDay(early, entries: [first, second])
        var later = entry("2405.00002", day: "2024-06-03", upvotes: 80)
        later.position = 0
        _ = try await store.importFeedDay(FeedDay("2024-06-03")!, entries: [later])
        let day = try await store.feedEntries(FeedQuery(days: early...early, limit: 10))
        #expect(day.map(\.paper.id) == ["2405.00001", "2405.00002"], "that day's capture had 5 against 3")
        #expect(day.last?.upvotes == 3)
    }

    @Test(arguments: StoreBackend.allCases)
    func aReaderUpvotesAPaperOnceAndTheCountFollows(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 7)])
        let reader = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "x")
        #expect(try await store.upvote(paperID: "2405.00001", by: reader.id))
        #expect(try await store.upvote(paperID: "2405.00001", by: reader.id) == false, "one upvote per reader")
        #expect(try await store.paper(id: "2405.00001")?.totalUpvotes == 8)
        #expect(try await store.localUpvoteCount() == 1)
        #expect(try await store.removeUpvote(paperID: "2405.00001", by: reader.id))
        #expect(try await store.paper(id: "2405.00001")?.totalUpvotes == 7)
    }

    @Test(arguments: StoreBackend.allCases)
    func sessionsExpireAndEnd(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let reader = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "x")
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        try await store.createSession(tokenHash: "h1", readerID: reader.id, csrfToken: "c1", expiresAt: now + 60, now: now)
        #expect(try await store.session(tokenHash: "h1", now: now)?.reader?.name == "ada")
        #expect(try await store.session(tokenHash: "h1", now: now + 61) == nil, "expired")
        try await store.deleteSession(tokenHash: "h1")
        #expect(try await store.session(tokenHash: "h1", now: now) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func writesMoveTheChangeCounterThatCachesWatch(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let before = try await store.changeCounter()
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        #expect(try await store.changeCounter() > before)
    }

    // MARK: - Curation

    @Test(arguments: StoreBackend.allCases)
    func theAdminRoleIsGrantedByEmailAndEveryChangeIsLoggedWithWhoAndWhen(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12))
        defer { cleanUp() }
        let ada = try await store.createUser(email: "Ada@example.org", name: "ada", passwordHash: "h")
        #expect(try await store.isAdmin(readerID: ada.id) == false)
        #expect(try await store.setAdmin(email: "nobody@example.org", true, by: .commandLine) == nil)
        #expect(try await store.setAdmin(email: "ADA@example.org", true, by: .commandLine) == RoleChange(reader: ada, changed: true))
        #expect(try await store.setAdmin(email: "ada@example.org", true, by: .commandLine) == RoleChange(reader: ada, changed: false))
        #expect(try await store.isAdmin(readerID: ada.id))
        #expect(try await store.admins() == [ada])
        #expect(try await store.recentReaders(limit: 10).map(\.isAdmin) == [true])

        let actions = try await store.adminActions(limit: 10)
        #expect(actions.count == 1, "only changes are logged")
        let granted = try #require(actions.first)
        #expect(granted.actor == .commandLine)
        #expect(granted.kind == .grantAdmin)
        #expect(granted.target == "Ada@example.org")
        #expect(granted.detail == "ada")
        #expect(granted.at == "2024-05-28T12:00:00Z")

        _ = try await store.setAdmin(email: "ada@example.org", false, by: AdminActor(ada))
        #expect(try await store.isAdmin(readerID: ada.id) == false)
        #expect(try await store.admins().isEmpty)
        let latest = try await store.adminActions(limit: 10)
        #expect(latest.map(\.kind) == [.revokeAdmin, .grantAdmin], "newest first")
        #expect(latest.first?.actor == AdminActor(readerID: ada.id, name: "ada"))
    }

    @Test(arguments: StoreBackend.allCases)
    func aHiddenPaperLeavesEveryFeedReadAndComesBackWhenShown(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let editor = AdminActor(readerID: nil, name: "editor")
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 9)])
        _ = try await store.importFeedDay(
            FeedDay("2024-05-28")!,
            entries: [entry("2405.00002", day: "2024-05-28", upvotes: 5), entry("2405.00003", day: "2024-05-28", upvotes: 1)]
        )
        let days = FeedDay("2024-05-27")!...FeedDay("2024-05-28")!
        #expect(try await store.setPaperHidden("2405.99999", true, by: editor) == nil)
        let before = try await store.changeCounter()
        #expect(try await store.setPaperHidden("2405.00002", true, by: editor) == true)
        #expect(try await store.setPaperHidden("2405.00002", true, by: editor) == false, "already hidden")
        #expect(try await store.changeCounter() > before, "cached pages are dropped")

        #expect(try await store.feedEntries(FeedQuery(days: days, limit: 10)).map(\.paper.id) == ["2405.00001", "2405.00003"])
        #expect(try await store.papers(ids: ["2405.00002", "2405.00003"]).map(\.id) == ["2405.00003"])
        #expect(try await store.papers(after: nil as String?, limit: 10).map(\.id) == ["2405.00001", "2405.00003"])
        #expect(try await store.paper(id: "2405.00002") != nil, "kept, and found by id")
        #expect(try await store.hiddenPapers(limit: 10).map(\.id) == ["2405.00002"])
        #expect(try await store.curation(of: "2405.00002") == PaperCuration(hidden: true, hiddenDays: []))
        #expect(try await store.statistics().papers == 3, "statistics count what the database holds")

        // A day whose only paper is hidden is no feed day.
        #expect(try await store.setPaperHidden("2405.00003", true, by: editor) == true)
        #expect(try await store.latestFeedDay() == FeedDay("2024-05-27"))
        #expect(try await store.neighbours(of: FeedDay("2024-05-26")!...FeedDay("2024-05-26")!).after == FeedDay("2024-05-27"))
        #expect(try await store.neighbours(of: FeedDay("2024-05-27")!...FeedDay("2024-05-27")!).after == nil)

        #expect(try await store.setPaperHidden("2405.00002", false, by: editor) == true)
        #expect(try await store.latestFeedDay() == FeedDay("2024-05-28"))
        #expect(try await store.feedEntries(FeedQuery(days: days, limit: 10)).map(\.paper.id) == ["2405.00001", "2405.00002"])
        #expect(try await store.adminActions(limit: 10).map(\.kind) == [.unhidePaper, .hidePaper, .hidePaper])
    }

    @Test(arguments: StoreBackend.allCases)
    func aHiddenEntryLeavesOnlyItsDayAndReimportingKeepsItHidden(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let editor = AdminActor(readerID: nil, name: "editor")
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 9)])
        let later = entry("2405.00001", day: "2024-05-28", upvotes: 9)
        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [later, entry("2405.00002", day: "2024-05-28", upvotes: 1)])
        #expect(try await store.setEntryHidden(day: FeedDay("2024-05-26")!, paperID: "2405.00001", true, by: editor) == nil)
        #expect(try await store.setEntryHidden(day: FeedDay("2024-05-28")!, paperID: "2405.00001", true, by: editor) == true)

        let week = FeedDay("2024-05-27")!...FeedDay("2024-05-28")!
        let entries = try await store.feedEntries(FeedQuery(days: week, limit: 10))
        #expect(entries.map(\.paper.id) == ["2405.00001", "2405.00002"])
        #expect(entries.first?.day == FeedDay("2024-05-27"), "the paper keeps its shown day")
        #expect(try await store.featuredDays(of: "2405.00001") == [FeedDay("2024-05-27")!])
        #expect(try await store.curation(of: "2405.00001") == PaperCuration(hidden: false, hiddenDays: [FeedDay("2024-05-28")!]))
        let recent = try await store.recentEntries(limit: 10)
        #expect(recent.filter(\.entryHidden).map(\.entry.paper.id) == ["2405.00001"], "editors still see it")

        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [entry("2405.00001", day: "2024-05-28", upvotes: 12)])
        #expect(try await store.featuredDays(of: "2405.00001") == [FeedDay("2024-05-27")!], "a new capture does not undo an editor")
        #expect(try await store.setEntryHidden(day: FeedDay("2024-05-28")!, paperID: "2405.00001", false, by: editor) == true)
        #expect(try await store.featuredDays(of: "2405.00001") == FeedDay.sequence("2024-05-27", "2024-05-28"))
        let log = try await store.adminActions(limit: 10)
        #expect(log.map(\.kind) == [.unhideEntry, .hideEntry])
        #expect(log.map(\.detail) == ["2024-05-28", "2024-05-28"])
    }

    @Test(arguments: StoreBackend.allCases)
    func featuringAddsAnEntryStoresANewPaperAndShowsAHiddenEntryAgain(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let editor = AdminActor(readerID: nil, name: "editor")
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 9)])
        let fresh = entry("2405.00009", day: "2024-05-20", upvotes: 0, submitter: "editor")
        #expect(try await store.feature(fresh, by: editor) == .featured)
        #expect(try await store.paper(id: "2405.00009")?.title == "Paper 2405.00009")
        #expect(try await store.feature(fresh, by: editor) == .alreadyOnFeed)
        let onDay = try await store.feedEntries(FeedQuery(days: FeedDay("2024-05-20")!...FeedDay("2024-05-20")!, limit: 10))
        #expect(onDay.map(\.paper.id) == ["2405.00009"])
        #expect(onDay.first?.submitter?.name == "editor")

        _ = try await store.setEntryHidden(day: FeedDay("2024-05-20")!, paperID: "2405.00009", true, by: editor)
        #expect(try await store.feature(fresh, by: editor) == .shownAgain)
        #expect(try await store.featuredDays(of: "2405.00009") == [FeedDay("2024-05-20")!])

        _ = try await store.setPaperHidden("2405.00001", true, by: editor)
        #expect(try await store.feature(entry("2405.00001", day: "2024-05-28", upvotes: 0), by: editor) == .paperHidden)
        #expect(try await store.curation(of: "2405.00001")?.hiddenDays == [])
        #expect(try await store.adminActions(limit: 10).map(\.kind) == [.hidePaper, .feature, .hideEntry, .feature])
    }
    @Test(arguments: StoreBackend.allCases)
    func editorsSeeTheLatestDayFirstAndTheLatestSubmittedWithinIt(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        func submitted(_ id: String, day: String, at time: String?) -> DailyEntry {
            var item = entry(id, day: day, upvotes: 1)
            item.submittedAt = time.map { "\(day)T\($0):00.000Z" }
            return item
        }
        _ = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [
                submitted("2405.00001", day: "2024-05-27", at: nil), submitted("2405.00002", day: "2024-05-27", at: "08:00"),
                submitted("2405.00003", day: "2024-05-27", at: "10:00"),
            ]
        )
        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [submitted("2405.00004", day: "2024-05-28", at: "07:00")])
        let recent = try await store.recentEntries(limit: 10)
        #expect(recent.map(\.entry.paper.id) == ["2405.00004", "2405.00003", "2405.00002", "2405.00001"], "no submission time: last of its day")
        #expect(try await store.recentEntries(limit: 2).count == 2)

        let editor = AdminActor(readerID: nil, name: "editor")
        _ = try await store.setPaperHidden("2405.00002", true, by: editor)
        _ = try await store.setPaperHidden("2405.00003", true, by: editor)
        #expect(Set(try await store.hiddenPapers(limit: 10).map(\.id)) == ["2405.00002", "2405.00003"])
        #expect(try await store.hiddenPapers(limit: 1).count == 1)
    }
}

extension FeedDay {
    static func sequence(_ days: String...) -> [FeedDay] { days.map { FeedDay($0)! } }
}

@Suite struct StoreLocationTests {
    @Test func pathsAndSchemesNameTheirBackend() throws {
        #expect(try StoreLocation("var/paperboy.sqlite") == .sqlite(path: "var/paperboy.sqlite"))
        #expect(try StoreLocation("sqlite:/srv/paperboy.sqlite") == .sqlite(path: "/srv/paperboy.sqlite"))
        #expect(try StoreLocation("sqlite:///srv/paperboy.sqlite") == .sqlite(path: "/srv/paperboy.sqlite"))
        #expect(try StoreLocation("postgres://paperboy@db/paperboy") == .postgres(url: "postgres://paperboy@db/paperboy"))
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation("mysql://db/paperboy") }
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation("sqlite:") }
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation("  ") }
    }

    @Test func anUnreachableServerIsOneLineNamingItWithoutThePassword() async throws {
        // Port 1 on loopback: nothing listens there.
        let error = await #expect(throws: StoreError.self) {
            try await StoreFactory.open("postgres://paperboy:secret@127.0.0.1:1/paperboy?sslmode=disable")
        }
        let text = "\(try #require(error))"
        #expect(text.hasPrefix("cannot open database postgres://paperboy@127.0.0.1:1/paperboy: "))
        #expect(!text.contains("secret"))
        #expect(!text.contains("\n"))
    }

    @Test func unknownURLParametersAreRefused() async throws {
        await #expect(throws: StoreError.cannotOpen(path: "postgres://postgres@db:5432/x", reason: "unknown URL parameter sslmod=off")) {
            try await StoreFactory.open("postgres://db/x?sslmod=off")
        }
    }
}
