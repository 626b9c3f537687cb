import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import ServiceLifecycle

/// When a source syncs.
public enum SyncTiming: Sendable, Equatable {
    /// Every interval, the first run soon after start-up.
    case every(Duration)
    /// Once a day at this many minutes after midnight UTC; a run missed while the server was
    /// down (or never made) happens soon after start-up.
    case daily(minutesUTC: Int)
}

/// One source the scheduler keeps in sync.
public struct SyncJob: Sendable {
    public var source: String
    public var timing: SyncTiming
    /// Each run starts up to this much later than planned, at random, so instances started
    /// together (and the upstream's other clients) do not all knock at once.
    public var jitter: Duration
    public var work: @Sendable (_ heartbeat: @escaping @Sendable () async throws -> Void) async throws -> SyncReport

    public init(
        source: String,
        timing: SyncTiming,
        jitter: Duration,
        work: @escaping @Sendable (_ heartbeat: @escaping @Sendable () async throws -> Void) async throws -> SyncReport
    ) {
        self.source = source
        self.timing = timing
        self.jitter = jitter
        self.work = work
    }
}

/// The sync as a service of the server: each job runs on its own timing, under its source's
/// lease (another instance holding it means that instance syncs; this one skips the turn),
/// with its next run recorded for `/healthz`. An outage is logged once when it starts and once
/// when it ends, not on every attempt.
public struct SyncScheduler: Service {
    let jobs: [SyncJob]
    let runner: SyncRunner
    let store: any SyncStore
    let clock: any WallClock
    let random: any RandomSource
    let logger: Logger

    public init(
        jobs: [SyncJob],
        runner: SyncRunner,
        store: any SyncStore,
        clock: any WallClock,
        random: any RandomSource,
        logger: Logger
    ) {
        self.jobs = jobs
        self.runner = runner
        self.store = store
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    public func run() async throws {
        try await stopQuietlyOnShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask { try await loop(job) }
                }
                try await group.waitForAll()
            }
        }
    }

    private func loop(_ job: SyncJob) async throws {
        var next = await firstRun(of: job)
        var outage = OutageLog(source: job.source, logger: logger)
        while !Task.isCancelled {
            await record(next: next, of: job)
            try await clock.sleep(for: .seconds(max(0, next - clock.now)))
            try await runOnce(job, outage: &outage)
            next = following(job.timing, after: clock.now) + jitter(job)
        }
    }

    /// One turn of a job; only cancellation ends the loop.
    func runOnce(_ job: SyncJob, outage: inout OutageLog) async throws {
        do {
            let report = try await runner.run(source: job.source, job.work)
            outage.note(report.failure, now: clock.now)
            if let failure = report.failure, !failure.isOutage {
                logger.error("sync \(job.source) failed", metadata: ["error": "\(failure)", "summary": "\(report.summaryLine)"])
            } else if report.counts.new > 0 || report.counts.updated > 0 {
                logger.info("sync \(job.source): \(report.summaryLine)")
            } else {
                logger.debug("sync \(job.source): \(report.summaryLine)")
            }
        } catch let error as SyncRunError {
            logger.debug("sync \(job.source) skipped: \(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error("sync \(job.source) failed; it runs again at its next turn", metadata: ["error": "\(error)"])
        }
    }

    /// Soon (within the jitter) for an interval job, and for a daily job whose latest planned
    /// time passed without a run; else its next planned time.
    func firstRun(of job: SyncJob) async -> Double {
        let now = clock.now
        guard case .daily = job.timing else { return now + jitter(job) }
        let lastStart = try? await store.syncSourceStates().first(where: { $0.source == job.source })?.lastRun?.startedAt.timeIntervalSince1970
        let latestPlanned = following(job.timing, after: now) - 86_400
        if lastStart.map({ $0 < latestPlanned }) ?? true { return now + jitter(job) }
        return following(job.timing, after: now) + jitter(job)
    }

    /// The next planned time strictly after `now`, before jitter.
    func following(_ timing: SyncTiming, after now: Double) -> Double {
        switch timing {
        case .every(let interval):
            return now + interval.seconds
        case .daily(let minutes):
            let today = FeedDay(timestamp: now).startTimestamp + Double(minutes * 60)
            return today > now ? today : today + 86_400
        }
    }

    /// A random delay from 0 to the job's jitter, in whole milliseconds.
    func jitter(_ job: SyncJob) -> Double {
        let milliseconds = UInt64(max(0, job.jitter.seconds * 1000))
        guard milliseconds > 0 else { return 0 }
        return Double(random.uint64() % (milliseconds + 1)) / 1000
    }

    private func record(next: Double, of job: SyncJob) async {
        do {
            try await store.setNextSyncRun(source: job.source, at: Date(timeIntervalSince1970: next))
        } catch {
            logger.warning("cannot record the next sync of \(job.source)", metadata: ["error": "\(error)"])
        }
    }
}

/// Logs an outage once when it starts and once when it ends.
struct OutageLog {
    let source: String
    let logger: Logger
    /// When the current outage began; nil while the upstream answers.
    private(set) var since: Double?

    init(source: String, logger: Logger) {
        self.source = source
        self.logger = logger
    }

    mutating func note(_ failure: SyncFailure?, now: Double) {
        if let failure, failure.isOutage {
            if since == nil {
                since = now
                logger.warning(
                    "sync \(source): the upstream cannot be reached; retrying at each turn, quietly until it answers",
                    metadata: ["error": "\(failure)"]
                )
            } else {
                logger.debug("sync \(source): the upstream still cannot be reached", metadata: ["error": "\(failure)"])
            }
        } else if let began = since {
            since = nil
            logger.notice("sync \(source): the upstream answers again", metadata: ["outage_seconds": "\(Int(now - began))"])
        }
    }
}
