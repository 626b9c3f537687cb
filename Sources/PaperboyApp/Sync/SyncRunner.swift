import Foundation
import PaperboyCore
import PaperboyStore
import Synchronization

/// Why a sync did not run, or stopped.
public enum SyncRunError: Error, Equatable, CustomStringConvertible {
    /// Another instance holds the source's lease: it is syncing now.
    case busy(source: String, holder: String)
    /// The lease was taken over while this run was paused for longer than its duration.
    case leaseLost(source: String)

    public var description: String {
        switch self {
        case .busy(let source, let holder): "another instance (\(holder)) is syncing \(source) now"
        case .leaseLost(let source): "the \(source) sync lease was taken over by another instance; stopped"
        }
    }
}

/// Runs one source's sync the same way for `serve` and the command line: under the source's
/// lease (one instance at a time), logged in the run log from start to end.
public struct SyncRunner: Sendable {
    let store: any SyncStore & LeaseStore
    let clock: any WallClock
    let identity: any ProcessIdentity
    let random: any RandomSource
    /// Seconds the lease lasts without a heartbeat; a crashed sync blocks others this long at
    /// most (at once when it died on this machine).
    public var leaseDuration: Double = 600
    /// Runs kept in the log per source.
    public var keepRuns = 200

    public init(
        store: any SyncStore & LeaseStore,
        clock: any WallClock,
        identity: any ProcessIdentity = SystemProcessIdentity(),
        random: any RandomSource = SystemRandomSource()
    ) {
        self.store = store
        self.clock = clock
        self.identity = identity
        self.random = random
    }

    /// The lease's name for a source.
    public static func leaseName(_ source: String) -> String { "sync:\(source)" }

    /// Takes the lease (or throws `SyncRunError.busy`), logs the run's start, runs `work` with a
    /// heartbeat that renews the lease, logs the run's end with its report (or the error that
    /// ended it) and releases the lease.
    public func run(
        source: String,
        _ work: (_ heartbeat: @escaping @Sendable () async throws -> Void) async throws -> SyncReport
    ) async throws -> SyncReport {
        let lease = StoreLease(
            store: store,
            name: Self.leaseName(source),
            holder: StoreLease.holderName(identity: identity, random: random),
            duration: leaseDuration,
            clock: clock,
            identity: identity
        )
        let current = try await lease.acquire()
        guard current == lease.holder else { throw SyncRunError.busy(source: source, holder: current) }
        let runID: Int64
        do {
            runID = try await store.beginSyncRun(source: source, startedAt: date(clock.now))
        } catch {
            try? await lease.release()
            throw error
        }
        do {
            let report = try await work {
                guard try await lease.renewIfDue() else { throw SyncRunError.leaseLost(source: source) }
            }
            try await store.finishSyncRun(
                id: runID,
                endedAt: date(clock.now),
                counts: report.counts,
                error: report.failure?.message,
                keep: keepRuns
            )
            try await lease.release()
            return report
        } catch {
            let reason = error is CancellationError ? "interrupted by shutdown" : "\(error)"
            try? await store.finishSyncRun(id: runID, endedAt: date(clock.now), counts: SyncCounts(), error: reason, keep: keepRuns)
            try? await lease.release()
            throw error
        }
    }

    private func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}
