import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// `paperboy sync`: follow the upstreams once, by hand or from cron, under the same lease as
/// `serve`'s scheduler.
struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the upstreams: the Hugging Face daily papers and arXiv's listings.",
        subcommands: [SyncHFDaily.self, SyncArxiv.self, SyncStatusCommand.self]
    )
}

struct SyncHFDaily: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hf-daily",
        abstract: "Fetch the Hugging Face daily papers: the days since the last synced one, the last 7 again, and today."
    )

    @OptionGroup var options: StoreOptions

    @Option(
        help:
            "First day to fetch, YYYY-MM-DD (default: the last synced day or 7 days ago, whichever is earlier; before any sync, the latest imported day or --hf-first-sync-days ago)."
    )
    var from: String?

    @Option(help: "Last day to fetch, YYYY-MM-DD (default: today, UTC).")
    var to: String?

    @Option(name: [.customLong("endpoint"), .customLong(Setting.hfEndpoint.flag)], help: Setting.hfEndpoint.help)
    var endpoint: String?

    @Option(name: Setting.hfToken.names, help: Setting.hfToken.help)
    var hfToken: String?

    @Option(name: Setting.hfFirstSyncDays.names, help: Setting.hfFirstSyncDays.help)
    var hfFirstSyncDays: Int?

    var flags: FlagValues {
        FlagValues(integers: [.hfFirstSyncDays: hfFirstSyncDays], texts: [.hfEndpoint: endpoint, .hfToken: hfToken])
    }

    func validate() throws {
        try flags.validate()
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, FeedDay(value) == nil { throw ValidationError("\(name) must be a date, YYYY-MM-DD") }
        }
    }

    func run() async throws {
        let settings = try await options.settings(for: .syncHFDaily, flags)
        let store = try await settings.openStore()
        let logger = settings.makeLogger("sync")
        let clock = SystemClock()
        let sync = settings.hfDailySync(store: store, clock: clock, logger: logger)
        let from = from.flatMap { FeedDay($0) }
        let to = to.flatMap { FeedDay($0) }
        try await runSync(store: store, source: HFDailySync.source) { heartbeat in
            try await sync.run(from: from, to: to, onRejection: printRejection, heartbeat: heartbeat)
        }
    }
}

struct SyncArxiv: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arxiv",
        abstract: "Harvest new and updated arXiv papers with OAI-PMH, resuming where the last harvest stopped."
    )

    @OptionGroup var options: StoreOptions

    @Option(name: Setting.arxivSets.names, help: Setting.arxivSets.help)
    var sets: String?

    @Option(help: "Harvest from this day, YYYY-MM-DD, instead of resuming from the checkpoint.")
    var from: String?

    @Option(help: "With --from: harvest up to this day, YYYY-MM-DD (a backfill of past days); the next harvest starts from it.")
    var until: String?

    @Option(name: [.customLong("endpoint"), .customLong(Setting.oaiEndpoint.flag)], help: Setting.oaiEndpoint.help)
    var endpoint: String?

    @Option(name: [.customLong("metadata-prefix"), .customLong(Setting.oaiMetadataPrefix.flag)], help: Setting.oaiMetadataPrefix.help)
    var metadataPrefix: String?

    @Option(help: "Seconds between OAI-PMH requests (default: the client's, as arXiv asks).")
    var spacing: Double?

    var flags: FlagValues { FlagValues(texts: [.arxivSets: sets, .oaiEndpoint: endpoint, .oaiMetadataPrefix: metadataPrefix]) }

    func validate() throws {
        try flags.validate()
        if let from, FeedDay(from) == nil { throw ValidationError("--from must be a date, YYYY-MM-DD") }
        if let until {
            guard FeedDay(until) != nil else { throw ValidationError("--until must be a date, YYYY-MM-DD") }
            guard let from else { throw ValidationError("--until needs --from") }
            guard from <= until else { throw ValidationError("--until must not be before --from") }
        }
        if let spacing, spacing < 0 { throw ValidationError("--spacing must be 0 or more") }
    }

    func run() async throws {
        let settings = try await options.settings(for: .syncArxiv, flags)
        let store = try await settings.openStore()
        let logger = settings.makeLogger("sync")
        let harvest = settings.arxivHarvest(
            store: store,
            clock: SystemClock(),
            spacing: spacing.map { .milliseconds(Int64($0 * 1000)) },
            logger: logger
        )
        let (from, until) = (from, until)
        try await runSync(store: store, source: ArxivHarvest.source) { heartbeat in
            try await harvest.run(from: from, until: until, onRejection: printRejection, heartbeat: heartbeat)
        }
    }
}

/// Runs one source under its lease and prints the summary; a failure (the upstream unreachable,
/// another instance syncing) ends the command with one line and a non-zero status, after the
/// summary of what was done before it.
private func runSync(
    store: any AppStore,
    source: String,
    _ work: (_ heartbeat: @escaping @Sendable () async throws -> Void) async throws -> SyncReport
) async throws {
    let start = Date()
    let report: SyncReport
    do {
        report = try await SyncRunner(store: store, clock: SystemClock()).run(source: source, work)
    } catch let error as SyncRunError {
        throw CommandFailure("sync \(source): \(error)")
    }
    print("\(report.summaryLine) seconds=\(String(format: "%.2f", Date().timeIntervalSince(start)))")
    if let failure = report.failure {
        throw CommandFailure("sync \(source) failed: \(failure)")
    }
}

struct SyncStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each upstream's last sync run, last error and next run."
    )

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the status as JSON (the shape /healthz reports under \"sync\").")
    var json = false

    func run() async throws {
        let store = try await options.settings().openStore()
        let status = try await SyncStatusService(store: store).status()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(Self.text(status), terminator: "")
        }
    }

    /// One block per source, a line per fact.
    static func text(_ status: SyncStatus) -> String {
        status.sources.map { source in
            var lines = ["\(source.source)"]
            if let run = source.lastRun {
                let end = run.endedAt ?? "not finished (running, or its process died)"
                lines.append(
                    "  last run   \(run.startedAt) → \(end): \(source.fetches)=\(run.fetched) new=\(run.new) "
                        + "updated=\(run.updated) rejected=\(run.rejected)"
                )
            } else {
                lines.append("  last run   never")
            }
            lines.append("  last error " + (source.lastError.map { "\($0.at): \($0.message)" } ?? "none"))
            lines.append("  next run   " + (source.nextRunAt ?? "not scheduled (serve schedules it)"))
            for harvest in source.harvests {
                let state = harvest.midHarvest ? "mid-harvest, \(harvest.recordsSoFar) records so far" : "complete"
                lines.append("  harvest    \(harvest.key) from \(harvest.from ?? "the beginning"): \(state)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        .joined(separator: "\n")
    }
}
