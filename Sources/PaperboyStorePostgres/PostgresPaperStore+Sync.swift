import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: SyncStore {
    // MARK: Hugging Face days

    public func recordSyncedDay(_ day: SyncedDay) async throws {
        try await execute(
            """
            INSERT INTO sync_days (day, fetched_at, items, is_empty)
            VALUES (\(day.day.description), \(day.fetchedAt.timeIntervalSince1970), \(day.items), \(day.isEmpty ? 1 : 0))
            ON CONFLICT (day) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, items = EXCLUDED.items,
                is_empty = EXCLUDED.is_empty
            """
        )
    }

    public func lastSyncedDay() async throws -> SyncedDay? {
        try await firstRow("SELECT * FROM sync_days ORDER BY day DESC LIMIT 1").flatMap(Self.syncedDay)
    }

    public func syncedDays(in days: ClosedRange<FeedDay>) async throws -> [SyncedDay] {
        try await rows(
            "SELECT * FROM sync_days WHERE day BETWEEN \(days.lowerBound.description) AND \(days.upperBound.description) ORDER BY day"
        ).compactMap(Self.syncedDay)
    }

    private static func syncedDay(_ row: PostgresRandomAccessRow) throws -> SyncedDay? {
        guard let day = FeedDay(try row["day"].decode(String.self)) else { return nil }
        return SyncedDay(
            day: day,
            fetchedAt: Date(timeIntervalSince1970: try row["fetched_at"].decode(Double.self)),
            items: try row["items"].decode(Int.self),
            isEmpty: try row["is_empty"].decode(Int.self) != 0
        )
    }

    // MARK: OAI-PMH harvests

    public func harvestCheckpoint(source: String) async throws -> HarvestCheckpoint? {
        try await firstRow("SELECT * FROM harvest_checkpoints WHERE source = \(source)").map(Self.checkpoint)
    }

    /// By source in byte order, as SQLite sorts it, whatever the server's locale.
    public func harvestCheckpoints() async throws -> [HarvestCheckpoint] {
        try await rows(#"SELECT * FROM harvest_checkpoints ORDER BY source COLLATE "C""#).map(Self.checkpoint)
    }

    public func importHarvestPage(_ papers: [Paper], checkpoint: HarvestCheckpoint) async throws -> ImportCounts {
        try await transaction { connection in
            let counts = try await self.mergeListedPapers(papers, on: connection)
            try await connection.query(Self.saving(checkpoint), logger: self.logger)
            return counts
        }
    }

    public func saveHarvestCheckpoint(_ checkpoint: HarvestCheckpoint) async throws {
        try await execute(Self.saving(checkpoint))
    }

    private static func saving(_ checkpoint: HarvestCheckpoint) -> PostgresQuery {
        """
        INSERT INTO harvest_checkpoints (source, from_date, until_date, resumption_token, records, next_from)
        VALUES (\(checkpoint.source), \(checkpoint.from), \(checkpoint.until), \(checkpoint.resumptionToken),
            \(checkpoint.records), \(checkpoint.nextFrom))
        ON CONFLICT (source) DO UPDATE SET from_date = EXCLUDED.from_date, until_date = EXCLUDED.until_date,
            resumption_token = EXCLUDED.resumption_token, records = EXCLUDED.records, next_from = EXCLUDED.next_from
        """
    }

    private static func checkpoint(_ row: PostgresRandomAccessRow) throws -> HarvestCheckpoint {
        HarvestCheckpoint(
            source: try row["source"].decode(String.self),
            from: try row["from_date"].decode(String?.self),
            until: try row["until_date"].decode(String?.self),
            resumptionToken: try row["resumption_token"].decode(String?.self),
            records: try row["records"].decode(Int.self),
            nextFrom: try row["next_from"].decode(String?.self)
        )
    }

    // MARK: Runs and schedule

    public func beginSyncRun(source: String, startedAt: Date) async throws -> Int64 {
        try await scalar(
            "INSERT INTO sync_runs (source, started_at) VALUES (\(source), \(startedAt.timeIntervalSince1970)) RETURNING id",
            as: Int64.self
        ) ?? 0
    }

    public func finishSyncRun(id: Int64, endedAt: Date, counts: SyncCounts, error: String?, keep: Int) async throws {
        try await transaction { connection in
            try await connection.query(
                """
                UPDATE sync_runs SET ended_at = \(endedAt.timeIntervalSince1970), fetched = \(counts.fetched),
                    new = \(counts.new), updated = \(counts.updated), rejected = \(counts.rejected), error = \(error)
                WHERE id = \(id)
                """,
                logger: self.logger
            )
            try await connection.query(
                """
                DELETE FROM sync_runs WHERE source = (SELECT source FROM sync_runs WHERE id = \(id))
                    AND id NOT IN (
                        SELECT id FROM sync_runs WHERE source = (SELECT source FROM sync_runs WHERE id = \(id))
                        ORDER BY id DESC LIMIT \(max(keep, 1)))
                """,
                logger: self.logger
            )
        }
    }

    public func setNextSyncRun(source: String, at: Date?) async throws {
        try await execute(
            """
            INSERT INTO sync_schedule (source, next_run_at) VALUES (\(source), \(at?.timeIntervalSince1970))
            ON CONFLICT (source) DO UPDATE SET next_run_at = EXCLUDED.next_run_at
            """
        )
    }

    public func syncSourceStates() async throws -> [SyncSourceState] {
        // Three statements for every source at once: each source's latest run, its latest
        // failure, and the schedule.
        let latest = try await rows("SELECT DISTINCT ON (source) * FROM sync_runs ORDER BY source, id DESC")
        let failures = try await rows(
            "SELECT DISTINCT ON (source) * FROM sync_runs WHERE error IS NOT NULL ORDER BY source, id DESC"
        )
        let schedule = try await rows("SELECT source, next_run_at FROM sync_schedule")
        var states: [String: SyncSourceState] = [:]
        func blank(_ source: String) -> SyncSourceState {
            SyncSourceState(source: source, lastRun: nil, lastFailure: nil, nextRunAt: nil)
        }
        for run in try latest.map(Self.syncRun) {
            states[run.source, default: blank(run.source)].lastRun = run
        }
        for run in try failures.map(Self.syncRun) {
            states[run.source, default: blank(run.source)].lastFailure = run
        }
        for row in schedule {
            let source = try row["source"].decode(String.self)
            let next = try row["next_run_at"].decode(Double?.self).map { Date(timeIntervalSince1970: $0) }
            states[source, default: blank(source)].nextRunAt = next
        }
        return states.keys.sorted().compactMap { states[$0] }
    }

    private static func syncRun(_ row: PostgresRandomAccessRow) throws -> SyncRun {
        SyncRun(
            id: try row["id"].decode(Int64.self),
            source: try row["source"].decode(String.self),
            startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
            endedAt: try row["ended_at"].decode(Double?.self).map { Date(timeIntervalSince1970: $0) },
            counts: SyncCounts(
                fetched: try row["fetched"].decode(Int.self),
                new: try row["new"].decode(Int.self),
                updated: try row["updated"].decode(Int.self),
                rejected: try row["rejected"].decode(Int.self)
            ),
            error: try row["error"].decode(String?.self)
        )
    }
}
