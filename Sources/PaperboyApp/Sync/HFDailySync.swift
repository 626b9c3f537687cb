import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// Mirrors the Hugging Face daily feed: fetches each day's `/api/daily_papers?date=D`, merges it
/// like `paperboy import hf-daily` (a newer capture wins, an older one never overwrites) and
/// records the day as synced, `[]` included.
public struct HFDailySync: Sendable {
    /// The source's name in the run log, the schedule and the lease.
    public static let source = "hf-daily"

    let store: any PaperStore & SyncStore
    let fetcher: any HFDailyFetching
    let clock: any WallClock
    /// Upvotes and comment counts keep changing this many days after a day is featured.
    public var refetchDays = 7
    /// How far back the first sync of a store without feed days reaches.
    public var firstSyncDays = 7
    /// A store whose latest feed day is older than this catches up only this far (a stale
    /// snapshot should not make a first sync fetch years of days).
    public var maximumCatchUpDays = 366

    public init(store: any PaperStore & SyncStore, fetcher: any HFDailyFetching, clock: any WallClock) {
        self.store = store
        self.fetcher = fetcher
        self.clock = clock
    }

    /// The days a run fetches, oldest first (so the newest capture is merged last). Without
    /// `from`: the last synced day (it may have been captured while still filling) or
    /// `refetchDays` ago, whichever is earlier; before any sync, the store's latest feed day
    /// (an imported snapshot catches up, at most `maximumCatchUpDays`), or `firstSyncDays` ago
    /// for an empty store. Without `to`: today (UTC).
    public func days(from: FeedDay? = nil, to: FeedDay? = nil) async throws -> [FeedDay] {
        let today = FeedDay(timestamp: clock.now)
        let last = to ?? today
        var first = today.adding(days: -refetchDays)
        if let from {
            first = from
        } else if let synced = try await store.lastSyncedDay()?.day {
            first = min(first, synced)
        } else if let imported = try await store.latestFeedDay() {
            first = min(first, max(imported, today.adding(days: -maximumCatchUpDays)))
        } else {
            first = min(first, today.adding(days: -firstSyncDays))
        }
        guard first <= last else { return [] }
        return (0...(last.daysSinceEpoch - first.daysSinceEpoch)).map { first.adding(days: $0) }
    }

    /// Fetches and imports the days. An outage ends the run (the report says why); any other
    /// failure of one day is reported and the run goes on with the next. Store errors throw.
    /// - Parameters:
    ///   - onRejection: each record refused, as `import hf-daily` reports them.
    ///   - heartbeat: called before each day (the runner renews its lease there).
    public func run(
        from: FeedDay? = nil,
        to: FeedDay? = nil,
        onRejection: @Sendable (Rejection) -> Void = { _ in },
        heartbeat: @Sendable () async throws -> Void = {}
    ) async throws -> SyncReport {
        var report = SyncReport(unit: .days)
        var failedDays = 0
        for day in try await days(from: from, to: to) {
            try await heartbeat()
            let data: Data
            do {
                data = try await report.timingUpstream { try await fetcher.dailyPapers(on: day) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let failure = SyncFailure(error, context: "\(day)")
                if failure.isOutage {
                    report.failure = failure
                    return report
                }
                failedDays += 1
                report.failure = SyncFailure(
                    message: failedDays > 1 ? "\(failedDays) days failed, the last \(failure.message)" : failure.message,
                    isOutage: false
                )
                continue
            }
            report.counts.fetched += 1
            try await importDay(day, data: data, report: &report, onRejection: onRejection)
        }
        return report
    }

    private func importDay(
        _ day: FeedDay,
        data: Data,
        report: inout SyncReport,
        onRejection: (Rejection) -> Void
    ) async throws {
        let parsed: HFDailyParser.ParsedDay
        do {
            parsed = try HFDailyParser().parse(data, day: day, source: "\(day).json")
        } catch let error as HFDailyParser.FileError {
            onRejection(Rejection(file: "\(day).json", index: 0, reason: error.description))
            report.counts.rejected += 1
            return
        }
        parsed.rejections.forEach(onRejection)
        report.counts.rejected += parsed.rejections.count
        if !parsed.entries.isEmpty {
            report.add(try await store.importFeedDay(day, entries: parsed.entries))
        }
        let items = parsed.entries.count + parsed.rejections.count
        try await store.recordSyncedDay(
            SyncedDay(day: day, fetchedAt: Date(timeIntervalSince1970: clock.now), items: items, isEmpty: items == 0)
        )
    }
}
