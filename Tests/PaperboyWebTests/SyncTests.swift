import Foundation
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Synchronization
import Testing

@testable import PaperboyApp

/// A fresh SQLite store for one test.
func withSyncStore(_ body: (any AppStore) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-sync-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body(try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path)))
}

/// A value behind a lock, as a class: the tests share it with tasks and closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// Hugging Face as a table of days: a day's body, or the error it answers.
final class FakeHFDaily: HFDailyFetching {
    let answers: Locked<[FeedDay: Result<Data, UpstreamError>]>
    let asked = Locked<[FeedDay]>([])

    init(_ answers: [FeedDay: Result<Data, UpstreamError>] = [:]) {
        self.answers = Locked(answers)
    }

    func set(_ day: FeedDay, _ answer: Result<Data, UpstreamError>) { answers.withLock { $0[day] = answer } }

    func dailyPapers(on day: FeedDay) async throws -> Data {
        asked.withLock { $0.append(day) }
        return try answers.withLock { $0[day] ?? .success(Data("[]".utf8)) }.get()
    }
}

/// Three pages of cs (tokens t1, t2), the second page also holding a deleted record and one
/// without usable metadata; `failing` makes one request fail as told.
final class FakeOAIPMH: OAIPMHFetching {
    let failing: Locked<[OAIListRequest: UpstreamError]>
    let asked = Locked<[OAIListRequest]>([])

    init(failing: [OAIListRequest: UpstreamError] = [:]) {
        self.failing = Locked(failing)
    }

    static func record(_ id: String, _ datestamp: String, version: String = "2024-05-27") -> OAIRecord {
        let paper = Paper(
            id: id,
            title: "Paper \(id)",
            summary: "Abstract \(id).",
            authors: ["A"],
            categories: ["cs.CL"],
            source: .arxiv,
            listingUpdatedAt: version
        )
        return OAIRecord(identifier: "oai:arXiv.org:\(id)", datestamp: datestamp, paper: paper)
    }

    static let pages: [String?: OAIPage] = [
        nil: OAIPage(
            records: [record("2405.00001", "2024-05-27"), record("2405.00002", "2024-05-27")],
            resumptionToken: "t1",
            responseDate: "2024-05-28T03:30:00Z"
        ),
        "t1": OAIPage(
            records: [
                record("2405.00003", "2024-05-27"),
                OAIRecord(identifier: "oai:arXiv.org:2405.00009", datestamp: "2024-05-27", deleted: true),
                OAIRecord(identifier: "oai:arXiv.org:2405.00010", datestamp: "2024-05-27", problem: "no title"),
            ],
            resumptionToken: "t2",
            responseDate: "2024-05-28T03:30:05Z"
        ),
        "t2": OAIPage(records: [record("2405.00004", "2024-05-28")], resumptionToken: "", responseDate: "2024-05-28T03:30:10Z"),
    ]

    func listRecords(_ request: OAIListRequest) async throws -> OAIPage {
        asked.withLock { $0.append(request) }
        if let error = failing.withLock({ $0.removeValue(forKey: request) }) { throw error }
        switch request {
        case .start: return Self.pages[nil]!
        case .resume(let token):
            guard let page = Self.pages[token] else { throw UpstreamError.oai(code: "badResumptionToken", message: token) }
            return page
        }
    }
}

extension OAIListRequest: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine("\(self)") }
}

/// Log messages at or above a level, for checking what an operator would read.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    let lines = Locked<[(Logger.Level, String)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append((event.level, event.message.description)) }
    }

    func messages(atLeast level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.0 >= level }.map(\.1) }
    }
}

@Suite struct HFDailySyncTests {
    static let today = FeedDay("2024-05-28")!
    static let clock = FixedClock(today, hour: 12)

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)))
    }

    @Test func withoutDatesItFetchesTheLastWeekAgainAndEverythingSinceTheLastSyncedDay() async throws {
        try await withSyncStore { store in
            let sync = HFDailySync(store: store, fetcher: FakeHFDaily(), clock: Self.clock)
            #expect(try await sync.days() == (0...7).map { FeedDay("2024-05-21")!.adding(days: $0) })
            try await store.recordSyncedDay(SyncedDay(day: FeedDay("2024-05-10")!, fetchedAt: Date(), items: 3, isEmpty: false))
            let days = try await sync.days()
            #expect(days.first == FeedDay("2024-05-10")!)
            #expect(days.last == Self.today)
            #expect(try await sync.days(from: FeedDay("2024-05-27")!, to: FeedDay("2024-05-27")!) == [FeedDay("2024-05-27")!])
        }
    }

    @Test func aFirstSyncCatchesUpFromTheLatestImportedDayOrReachesBackFirstSyncDays() async throws {
        try await withSyncStore { store in
            var sync = HFDailySync(store: store, fetcher: FakeHFDaily(), clock: Self.clock)
            sync.firstSyncDays = 30
            // An empty store reaches back firstSyncDays.
            #expect(try await sync.days().first == Self.today.adding(days: -30))
            // An imported snapshot (no sync yet) catches up from its latest feed day...
            let paper = Paper(id: "2405.00001", title: "Imported", source: .huggingFace)
            _ = try await store.importFeedDay(FeedDay("2024-03-01")!, entries: [DailyEntry(day: FeedDay("2024-03-01")!, paper: paper, upvotes: 1)])
            #expect(try await sync.days().first == FeedDay("2024-03-01")!)
            // ...but no further back than maximumCatchUpDays.
            sync.maximumCatchUpDays = 20
            #expect(try await sync.days().first == Self.today.adding(days: -20))
            // Once a day is synced, that day decides.
            try await store.recordSyncedDay(SyncedDay(day: FeedDay("2024-05-25")!, fetchedAt: Date(), items: 1, isEmpty: false))
            #expect(try await sync.days().first == Self.today.adding(days: -7))
        }
    }

    @Test func importsEachDayRecordsEmptyOnesAndReportsRejections() async throws {
        try await withSyncStore { store in
            var bad = try JSONSerialization.jsonObject(with: try Self.fixture("2024-05-28.json")) as! [Any]
            bad.append(["paper": ["id": "not an id"]])
            let hf = FakeHFDaily([
                FeedDay("2024-05-27")!: .success(try Self.fixture("2024-05-27.json")),
                FeedDay("2024-05-28")!: .success(try JSONSerialization.data(withJSONObject: bad)),
            ])
            let rejections = Locked<[Rejection]>([])
            let sync = HFDailySync(store: store, fetcher: hf, clock: Self.clock)
            let report = try await sync.run(
                from: FeedDay("2024-05-26")!,
                onRejection: { rejection in rejections.withLock { $0.append(rejection) } }
            )
            #expect(report.counts == SyncCounts(fetched: 3, new: 28, updated: 0, rejected: 1))
            #expect(report.failure == nil)
            #expect(rejections.withLock { $0.count } == 1)
            #expect(report.summaryLine.hasPrefix("days=3 papers=28 new=28 updated=0 rejected=1 upstream_seconds="))
            let synced = try await store.syncedDays(in: FeedDay("2024-05-26")!...Self.today)
            #expect(synced.map(\.isEmpty) == [true, false, false])
            #expect(synced.map(\.items) == [0, 13, 16])
            #expect(try await store.statistics().entries == 28)

            let again = try await sync.run(from: FeedDay("2024-05-26")!)
            #expect(again.counts.new == 0)
            #expect(again.counts.updated == 0, "the same capture again changes nothing")
        }
    }

    @Test func anOutageEndsTheRunAndAnyOtherErrorSkipsOnlyItsDay() async throws {
        try await withSyncStore { store in
            let hf = FakeHFDaily([
                FeedDay("2024-05-26")!: .failure(.status(404, "not found")),
                FeedDay("2024-05-27")!: .success(try Self.fixture("2024-05-27.json")),
                FeedDay("2024-05-28")!: .failure(.unreachable("connection refused")),
            ])
            let report = try await HFDailySync(store: store, fetcher: hf, clock: Self.clock).run(from: FeedDay("2024-05-25")!)
            #expect(report.counts.fetched == 2, "the 25th and the 27th")
            #expect(report.counts.new == 13)
            #expect(report.failure == SyncFailure(message: "2024-05-28: cannot reach the upstream: connection refused", isOutage: true))

            hf.set(FeedDay("2024-05-28")!, .success(try Self.fixture("2024-05-28.json")))
            let next = try await HFDailySync(store: store, fetcher: hf, clock: Self.clock).run(from: FeedDay("2024-05-25")!)
            #expect(next.failure == SyncFailure(message: "2024-05-26: HTTP 404: not found", isOutage: false))
            #expect(next.counts.fetched == 3)
            #expect(next.counts.new == 15)
        }
    }
}

@Suite struct ArxivHarvestTests {
    static let clock = FixedClock(FeedDay("2024-05-28")!, hour: 4)

    func storedIDs(_ store: any AppStore) async throws -> [String] {
        try await store.papers(after: nil, limit: 100).map(\.id)
    }

    @Test func followsTheTokensAndLeavesACheckpointForTheNextHarvest() async throws {
        try await withSyncStore { store in
            let oai = FakeOAIPMH()
            let rejections = Locked<[Rejection]>([])
            let harvest = ArxivHarvest(store: store, fetcher: oai, clock: Self.clock)
            let report = try await harvest.run(onRejection: { rejection in rejections.withLock { $0.append(rejection) } })
            #expect(
                oai.asked.withLock { $0 } == [
                    .start(metadataPrefix: .arXiv, set: "cs", from: "2024-05-27", until: nil), .resume(token: "t1"), .resume(token: "t2"),
                ]
            )
            #expect(report.counts == SyncCounts(fetched: 6, new: 4, updated: 0, rejected: 1))
            #expect(report.deleted == 1)
            #expect(report.summaryLine.hasPrefix("records=6 papers=4 new=4 updated=0 deleted=1 rejected=1 upstream_seconds="))
            #expect(rejections.withLock { $0.map(\.description) } == ["rejected arxiv:cs:arXiv[5]: oai:arXiv.org:2405.00010: no title"])
            #expect(try await storedIDs(store) == ["2405.00001", "2405.00002", "2405.00003", "2405.00004"])
            #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv") == HarvestCheckpoint(source: "arxiv:cs:arXiv", from: "2024-05-28"))

            _ = try await harvest.run()
            #expect(
                oai.asked.withLock { $0 }[3] == .start(metadataPrefix: .arXiv, set: "cs", from: "2024-05-28", until: nil),
                "the next harvest starts from the first page's responseDate"
            )
        }
    }

    @Test func anInterruptedHarvestResumesAtItsTokenAndEndsWithTheRecordsOfAnUninterruptedOne() async throws {
        var uninterrupted: [Paper] = []
        try await withSyncStore { store in
            _ = try await ArxivHarvest(store: store, fetcher: FakeOAIPMH(), clock: Self.clock).run()
            uninterrupted = try await store.papers(after: nil, limit: 100)
        }
        try await withSyncStore { store in
            let oai = FakeOAIPMH(failing: [.resume(token: "t2"): .timedOut(seconds: 30)])
            let harvest = ArxivHarvest(store: store, fetcher: oai, clock: Self.clock)
            let first = try await harvest.run()
            #expect(first.failure?.isOutage == true)
            #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv")?.resumptionToken == "t2")
            #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv")?.records == 5)

            let second = try await harvest.run()
            #expect(second.failure == nil)
            #expect(second.counts.fetched == 1, "only the page not stored yet")
            #expect(oai.asked.withLock { $0 }.last == .resume(token: "t2"))
            #expect(try await store.papers(after: nil, limit: 100) == uninterrupted)
            #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv") == HarvestCheckpoint(source: "arxiv:cs:arXiv", from: "2024-05-28"))
        }
    }

    @Test func anExpiredTokenRestartsTheHarvestFromItsDay() async throws {
        try await withSyncStore { store in
            try await store.saveHarvestCheckpoint(
                HarvestCheckpoint(source: "arxiv:cs:arXiv", from: "2024-05-20", resumptionToken: "expired", records: 1000)
            )
            let oai = FakeOAIPMH()
            let report = try await ArxivHarvest(store: store, fetcher: oai, clock: Self.clock).run()
            #expect(report.failure == nil)
            #expect(
                oai.asked.withLock { $0 }.prefix(2) == [
                    .resume(token: "expired"), .start(metadataPrefix: .arXiv, set: "cs", from: "2024-05-20", until: nil),
                ]
            )
            #expect(try await storedIDs(store).count == 4)
        }
    }

    @Test func aNonOutageErrorEndsOnlyItsSet() async throws {
        try await withSyncStore { store in
            let badSet = OAIListRequest.start(metadataPrefix: .arXiv, set: "math", from: "2024-05-27", until: nil)
            let oai = FakeOAIPMH(failing: [badSet: .oai(code: "badArgument", message: "no such set")])
            var harvest = ArxivHarvest(store: store, fetcher: oai, clock: Self.clock)
            harvest.sets = ["math", "cs"]
            let report = try await harvest.run()
            #expect(report.failure == SyncFailure(message: "arxiv:math:arXiv: OAI-PMH error badArgument: no such set", isOutage: false))
            #expect(report.counts.new == 4, "cs was harvested after math failed")
        }
    }
}

@Suite struct SyncRunnerTests {
    @Test func aRunIsLoggedUnderTheLeaseAndAnotherHolderMeansNoRun() async throws {
        try await withSyncStore { store in
            let clock = TestClock(now: FeedDay("2024-05-28")!.startTimestamp)
            let runner = SyncRunner(store: store, clock: clock, identity: FixedProcessIdentity(hostName: "a", processID: 1))
            var report = SyncReport(unit: .days)
            report.counts = SyncCounts(fetched: 2, new: 1)
            _ = try await runner.run(source: "hf-daily") { _ in report }
            let state = try #require(try await store.syncSourceStates().first)
            #expect(state.lastRun?.counts == SyncCounts(fetched: 2, new: 1))
            #expect(state.lastRun?.endedAt != nil)

            let now = Date(timeIntervalSince1970: clock.now)
            _ = try await store.acquireLease(name: "sync:hf-daily", holder: "b:7:0000", until: now.addingTimeInterval(600), now: now, stealFrom: nil)
            let ran = Locked(false)
            await #expect(throws: SyncRunError.busy(source: "hf-daily", holder: "b:7:0000")) {
                _ = try await runner.run(source: "hf-daily") { _ in
                    ran.withLock { $0 = true }
                    return report
                }
            }
            #expect(!ran.withLock { $0 })
        }
    }
}

@Suite struct SyncSchedulerTests {
    static let start = FeedDay("2024-05-28")!.startTimestamp + 3600  // 01:00 UTC

    static func job(
        _ source: String,
        _ timing: SyncTiming,
        jitter: Duration = .zero,
        runs: Locked<[Double]>,
        clock: TestClock,
        failure: @escaping @Sendable () -> SyncFailure? = { nil }
    ) -> SyncJob {
        SyncJob(source: source, timing: timing, jitter: jitter) { _ in
            runs.withLock { $0.append(clock.now) }
            var report = SyncReport(unit: .days)
            report.failure = failure()
            return report
        }
    }

    /// Lets the scheduler make its `count`-th run: waits for the runs before it and for the
    /// sleep that precedes it, then moves the clock to its deadline.
    static func advance(toRun count: Int, runs: Locked<[Double]>, clock: TestClock) async throws {
        while runs.withLock({ $0.count }) < count - 1 { try await Task.sleep(for: .milliseconds(1)) }
        await clock.sleepers(atLeast: 1)
        clock.advanceToNextDeadline()
        while runs.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    static func scheduler(
        _ jobs: [SyncJob],
        store: any AppStore,
        clock: TestClock,
        identity: any ProcessIdentity = FixedProcessIdentity(hostName: "a", processID: 1),
        logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    ) -> SyncScheduler {
        SyncScheduler(
            jobs: jobs,
            runner: SyncRunner(store: store, clock: clock, identity: identity, random: SeededRandomSource(seed: 1)),
            store: store,
            clock: clock,
            random: SeededRandomSource(seed: 7),
            logger: logger
        )
    }

    @Test(.timeLimit(.minutes(1))) func intervalJobsRunAtStartThenEveryIntervalWithinTheirJitter() async throws {
        try await withSyncStore { store in
            let clock = TestClock(now: Self.start)
            let runs = Locked<[Double]>([])
            let job = Self.job("hf-daily", .every(.seconds(1800)), jitter: .seconds(180), runs: runs, clock: clock)
            let running = Task { try await Self.scheduler([job], store: store, clock: clock).run() }
            for turn in 1...4 { try await Self.advance(toRun: turn, runs: runs, clock: clock) }
            let times = runs.withLock { $0 }
            #expect(times[0] >= Self.start && times[0] <= Self.start + 180)
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later - earlier >= 1800 && later - earlier <= 1980, "30 minutes plus up to 3 minutes of jitter")
            }
            #expect(Set(zip(times, times.dropFirst()).map { $1 - $0 }).count > 1, "the jitter varies")
            await clock.sleepers(atLeast: 1)
            let next = try #require(try await store.syncSourceStates().first?.nextRunAt)
            #expect(abs(next.timeIntervalSince1970 - (clock.deadlines.first ?? 0)) < 0.001)
            running.cancel()
            try await running.value
        }
    }

    @Test(.timeLimit(.minutes(1))) func aDailyJobRunsAtItsTimeAndCatchesUpAMissedRunAtStart() async throws {
        try await withSyncStore { store in
            let clock = TestClock(now: Self.start)
            let runs = Locked<[Double]>([])
            let job = Self.job("arxiv", .daily(minutesUTC: 3 * 60 + 30), runs: runs, clock: clock)
            let running = Task { try await Self.scheduler([job], store: store, clock: clock).run() }
            while runs.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
            #expect(runs.withLock { $0 } == [Self.start], "never run: at once")
            await clock.sleepers(atLeast: 1)
            #expect(clock.deadlines == [Self.start + 2.5 * 3600], "then today at 03:30")
            running.cancel()
            try await running.value

            let restarted = Task { try await Self.scheduler([job], store: store, clock: clock).run() }
            await clock.sleepers(atLeast: 1)
            #expect(clock.deadlines == [Self.start + 2.5 * 3600], "run since the last planned time: no catch-up")
            restarted.cancel()
            try await restarted.value
        }
    }

    @Test(.timeLimit(.minutes(1))) func aLeaseHeldByAnotherInstanceMeansNoRun() async throws {
        try await withSyncStore { store in
            let clock = TestClock(now: Self.start)
            let now = Date(timeIntervalSince1970: Self.start)
            _ = try await store.acquireLease(name: "sync:hf-daily", holder: "b:7:0000", until: now.addingTimeInterval(7200), now: now, stealFrom: nil)
            let runs = Locked<[Double]>([])
            let job = Self.job("hf-daily", .every(.seconds(1800)), runs: runs, clock: clock)
            let running = Task { try await Self.scheduler([job], store: store, clock: clock).run() }
            for _ in 1...3 {
                await clock.sleepers(atLeast: 1)
                clock.advanceToNextDeadline()
            }
            await clock.sleepers(atLeast: 1)
            #expect(runs.withLock { $0 }.isEmpty)
            running.cancel()
            try await running.value
        }
    }

    @Test(.timeLimit(.minutes(1))) func anOutageIsLoggedOnceWhenItStartsAndOnceWhenItEnds() async throws {
        try await withSyncStore { store in
            let clock = TestClock(now: Self.start)
            let runs = Locked<[Double]>([])
            let outage = Locked(true)
            let job = Self.job("hf-daily", .every(.seconds(1800)), runs: runs, clock: clock) {
                outage.withLock { $0 } ? SyncFailure(message: "cannot reach the upstream: offline", isOutage: true) : nil
            }
            let handler = RecordingLogHandler()
            let running = Task { try await Self.scheduler([job], store: store, clock: clock, logger: Logger(label: "test") { _ in handler }).run() }
            for turn in 2...5 {  // the first run is at once (no jitter)
                if turn == 4 { outage.withLock { $0 = false } }
                try await Self.advance(toRun: turn, runs: runs, clock: clock)
            }
            await clock.sleepers(atLeast: 1)
            let logged = handler.messages(atLeast: .notice)
            #expect(logged.count == 2, "\(logged)")
            #expect(logged.first?.contains("cannot be reached") == true)
            #expect(logged.last?.contains("answers again") == true)
            let state = try #require(try await store.syncSourceStates().first)
            #expect(state.lastFailure?.error == "cannot reach the upstream: offline")
            #expect(state.lastRun?.error == nil)
            running.cancel()
            try await running.value
        }
    }
}
