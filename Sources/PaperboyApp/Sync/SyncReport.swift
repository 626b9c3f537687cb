import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// What one sync run did, for the run log, the command line and the scheduler's logs.
public struct SyncReport: Sendable {
    /// What `fetched` counts.
    public enum Unit: String, Sendable {
        case days, records
    }

    public var unit: Unit
    /// Days or records fetched, new and updated papers, rejected records.
    public var counts = SyncCounts()
    /// Records accepted (valid papers, including unchanged ones).
    public var papers = 0
    /// OAI-PMH records the upstream marked deleted: counted, never imported.
    public var deleted = 0
    /// Why the run stopped early or what went wrong on the way, if anything did.
    public var failure: SyncFailure?
    /// Seconds spent waiting on the upstream (requests, retries, request spacing); the rest of
    /// a run is parsing and writing. Measured, so it is not part of equality.
    public var upstreamSeconds: Double = 0

    public init(unit: Unit) {
        self.unit = unit
    }

    mutating func add(_ imported: ImportCounts) {
        papers += imported.papers
        counts.new += imported.new
        counts.updated += imported.updated
        counts.rejected += imported.rejected
    }

    /// `days=… papers=… new=… updated=… rejected=…`, like the import's summary.
    public var summaryLine: String {
        var line = "\(unit.rawValue)=\(counts.fetched) papers=\(papers) new=\(counts.new) updated=\(counts.updated)"
        if unit == .records { line += " deleted=\(deleted)" }
        return line + " rejected=\(counts.rejected) upstream_seconds=\(String(format: "%.2f", upstreamSeconds))"
    }

    /// Times `fetch` into `upstreamSeconds`.
    mutating func timingUpstream<T>(_ fetch: () async throws -> T) async rethrows -> T {
        let started = ContinuousClock.now
        defer { upstreamSeconds += (ContinuousClock.now - started).seconds }
        return try await fetch()
    }
}

/// A sync that went wrong: an outage (worth retrying later, logged once while it lasts) or a
/// problem that waiting will not fix.
public struct SyncFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var isOutage: Bool

    public init(message: String, isOutage: Bool) {
        self.message = message
        self.isOutage = isOutage
    }

    /// How a failed upstream request counts: `UpstreamError` says whether it is an outage;
    /// anything else the fetcher throws is taken as one that waiting will not fix.
    init(_ error: any Error, context: String? = nil) {
        let text = context.map { "\($0): \(error)" } ?? "\(error)"
        self.init(message: text, isOutage: (error as? UpstreamError)?.isOutage ?? false)
    }

    public var description: String { message }
}
