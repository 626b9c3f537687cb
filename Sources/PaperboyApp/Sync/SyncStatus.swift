import Foundation
import PaperboyCore
import PaperboyStore

/// Where each upstream's sync stands: for `/healthz`, `paperboy sync status` and the admin
/// page. Times are ISO 8601 UTC strings, so the value renders as it is.
public struct SyncStatus: Codable, Sendable, Equatable {
    public var sources: [Source]

    public struct Source: Codable, Sendable, Equatable {
        /// `hf-daily` or `arxiv`.
        public var source: String
        /// What `fetched` counts: `days` or `records`.
        public var fetches: String
        public var lastRun: Run?
        public var lastError: Failure?
        /// Absent when nothing schedules this source (no server running it, or `off`).
        public var nextRunAt: String?
        /// Each OAI-PMH harvest's checkpoint (empty for Hugging Face).
        public var harvests: [Harvest]
    }

    public struct Run: Codable, Sendable, Equatable {
        public var startedAt: String
        /// Absent while it runs, or when its process died during it.
        public var endedAt: String?
        public var fetched: Int
        public var new: Int
        public var updated: Int
        public var rejected: Int
        public var error: String?
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var at: String
        public var message: String
    }

    public struct Harvest: Codable, Sendable, Equatable {
        /// `arxiv:cs:arXiv`.
        public var key: String
        /// The day the current or next harvest asks from.
        public var from: String?
        /// Interrupted between pages: the next run resumes at the stored token.
        public var midHarvest: Bool
        public var recordsSoFar: Int
    }
}

/// Reads the sync status from the store; the same answer for every caller.
public struct SyncStatusService: Sendable {
    /// Shown even before their first run.
    public static let knownSources = [HFDailySync.source, ArxivHarvest.source]

    let store: any SyncStore

    public init(store: any SyncStore) {
        self.store = store
    }

    public func status() async throws -> SyncStatus {
        let states = try await store.syncSourceStates()
        let checkpoints = try await store.harvestCheckpoints()
        let names = Self.knownSources + states.map(\.source).filter { !Self.knownSources.contains($0) }
        return SyncStatus(
            sources: names.map { name in
                let state = states.first { $0.source == name }
                return SyncStatus.Source(
                    source: name,
                    fetches: name == HFDailySync.source ? SyncReport.Unit.days.rawValue : SyncReport.Unit.records.rawValue,
                    lastRun: state?.lastRun.map(Self.run),
                    lastError: state?.lastFailure.flatMap { run in
                        run.error.map { SyncStatus.Failure(at: Self.text(run.endedAt ?? run.startedAt), message: $0) }
                    },
                    nextRunAt: state?.nextRunAt.map(Self.text),
                    harvests: checkpoints.filter { $0.source.hasPrefix(name + ":") }.map {
                        SyncStatus.Harvest(key: $0.source, from: $0.from, midHarvest: $0.isMidHarvest, recordsSoFar: $0.records)
                    }
                )
            }
        )
    }

    static func run(_ run: SyncRun) -> SyncStatus.Run {
        SyncStatus.Run(
            startedAt: text(run.startedAt),
            endedAt: run.endedAt.map(text),
            fetched: run.counts.fetched,
            new: run.counts.new,
            updated: run.counts.updated,
            rejected: run.counts.rejected,
            error: run.error
        )
    }

    /// Whole seconds, UTC: `2024-05-28T12:00:00Z`.
    static func text(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)).formatted(.iso8601)
    }
}
