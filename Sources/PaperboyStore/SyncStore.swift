import Foundation
import PaperboyCore

/// What following the upstreams keeps: the Hugging Face days fetched, where each OAI-PMH
/// harvest stands, the log of sync runs and when each source runs next. Every store backend
/// implements it; each method is one transaction.
public protocol SyncStore: Sendable {
    // MARK: Hugging Face days

    /// Records that `day` was fetched (replacing an earlier record of it).
    func recordSyncedDay(_ day: SyncedDay) async throws

    /// The latest day ever fetched, empty or not.
    func lastSyncedDay() async throws -> SyncedDay?

    /// The days fetched within `days`, oldest first.
    func syncedDays(in days: ClosedRange<FeedDay>) async throws -> [SyncedDay]

    // MARK: OAI-PMH harvests

    func harvestCheckpoint(source: String) async throws -> HarvestCheckpoint?

    /// Every checkpoint, by source.
    func harvestCheckpoints() async throws -> [HarvestCheckpoint]

    /// Adds a harvested page's papers (merged like `importArxivPapers`) and moves the
    /// checkpoint past them, in one transaction: a harvest killed at any point resumes from
    /// the page after the last one stored, so no record is lost or counted twice.
    func importHarvestPage(_ papers: [Paper], checkpoint: HarvestCheckpoint) async throws -> ImportCounts

    /// Replaces a checkpoint without importing anything (a harvest restarted, or begun anew).
    func saveHarvestCheckpoint(_ checkpoint: HarvestCheckpoint) async throws

    // MARK: Runs and schedule

    /// Starts a run of `source`; returns its id. A run never finished (the process died) stays
    /// without an end.
    func beginSyncRun(source: String, startedAt: Date) async throws -> Int64

    /// Ends a run with what it did; keeps the latest `keep` runs of its source.
    func finishSyncRun(id: Int64, endedAt: Date, counts: SyncCounts, error: String?, keep: Int) async throws

    /// When a source is due next (nil: not scheduled).
    func setNextSyncRun(source: String, at: Date?) async throws

    /// Per source ever run or scheduled: its latest run, its latest failed run and its next run.
    func syncSourceStates() async throws -> [SyncSourceState]
}

/// One fetched day of the Hugging Face feed.
public struct SyncedDay: Sendable, Equatable {
    public var day: FeedDay
    public var fetchedAt: Date
    /// Items the answer held (accepted and rejected).
    public var items: Int
    /// The answer was `[]`: nothing was featured that day (yet).
    public var isEmpty: Bool

    public init(day: FeedDay, fetchedAt: Date, items: Int, isEmpty: Bool) {
        self.day = day
        self.fetchedAt = fetchedAt
        self.items = items
        self.isEmpty = isEmpty
    }
}

/// Where one OAI-PMH harvest (one set, one metadata format) stands.
public struct HarvestCheckpoint: Sendable, Equatable {
    /// e.g. `arxiv:cs:arXiv`.
    public var source: String
    /// `YYYY-MM-DD` the current (or next) harvest asks `from`; nil: from the beginning.
    public var from: String?
    /// `YYYY-MM-DD`, the last day a bounded harvest (a backfill) asks for; nil: up to now.
    public var until: String?
    /// Set while a harvest is under way: the token of the next page to fetch.
    public var resumptionToken: String?
    /// Records received so far in the current harvest.
    public var records: Int
    /// Where the next harvest starts once this one completes: the day of the first page's
    /// `responseDate` (else the latest datestamp seen).
    public var nextFrom: String?

    public init(
        source: String,
        from: String?,
        until: String? = nil,
        resumptionToken: String? = nil,
        records: Int = 0,
        nextFrom: String? = nil
    ) {
        self.source = source
        self.from = from
        self.until = until
        self.resumptionToken = resumptionToken
        self.records = records
        self.nextFrom = nextFrom
    }

    /// Whether a harvest was interrupted between pages.
    public var isMidHarvest: Bool { resumptionToken != nil }
}

/// What one sync run did.
public struct SyncCounts: Sendable, Equatable {
    /// Days (Hugging Face) or records (OAI-PMH) fetched.
    public var fetched: Int
    public var new: Int
    public var updated: Int
    public var rejected: Int

    public init(fetched: Int = 0, new: Int = 0, updated: Int = 0, rejected: Int = 0) {
        self.fetched = fetched
        self.new = new
        self.updated = updated
        self.rejected = rejected
    }
}

/// One run of a source, from the run log.
public struct SyncRun: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var startedAt: Date
    /// nil: still running, or the process died during it.
    public var endedAt: Date?
    public var counts: SyncCounts
    public var error: String?

    public init(id: Int64, source: String, startedAt: Date, endedAt: Date?, counts: SyncCounts, error: String?) {
        self.id = id
        self.source = source
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.counts = counts
        self.error = error
    }
}

/// A source's place in the run log and the schedule.
public struct SyncSourceState: Sendable, Equatable {
    public var source: String
    public var lastRun: SyncRun?
    /// The latest run that ended with an error (may be older than `lastRun`).
    public var lastFailure: SyncRun?
    public var nextRunAt: Date?

    public init(source: String, lastRun: SyncRun?, lastFailure: SyncRun?, nextRunAt: Date?) {
        self.source = source
        self.lastRun = lastRun
        self.lastFailure = lastFailure
        self.nextRunAt = nextRunAt
    }
}
