import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: SyncStore {
    // MARK: Hugging Face days

    public func recordSyncedDay(_ day: SyncedDay) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_days (day, fetched_at, items, is_empty) VALUES (?, ?, ?, ?)
                    ON CONFLICT (day) DO UPDATE SET fetched_at = excluded.fetched_at, items = excluded.items,
                        is_empty = excluded.is_empty
                    """,
                arguments: [day.day.description, day.fetchedAt.timeIntervalSince1970, day.items, day.isEmpty]
            )
        }
    }

    public func lastSyncedDay() async throws -> SyncedDay? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sync_days ORDER BY day DESC LIMIT 1").flatMap(Self.syncedDay)
        }
    }

    public func syncedDays(in days: ClosedRange<FeedDay>) async throws -> [SyncedDay] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM sync_days WHERE day BETWEEN ? AND ? ORDER BY day",
                arguments: [days.lowerBound.description, days.upperBound.description]
            ).compactMap(Self.syncedDay)
        }
    }

    private static func syncedDay(_ row: Row) -> SyncedDay? {
        guard let day = FeedDay(row["day"] as String) else { return nil }
        return SyncedDay(
            day: day,
            fetchedAt: Date(timeIntervalSince1970: row["fetched_at"]),
            items: row["items"],
            isEmpty: row["is_empty"]
        )
    }

    // MARK: OAI-PMH harvests

    public func harvestCheckpoint(source: String) async throws -> HarvestCheckpoint? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM harvest_checkpoints WHERE source = ?", arguments: [source])
                .map(Self.checkpoint)
        }
    }

    public func harvestCheckpoints() async throws -> [HarvestCheckpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM harvest_checkpoints ORDER BY source").map(Self.checkpoint)
        }
    }

    public func importHarvestPage(_ papers: [Paper], checkpoint: HarvestCheckpoint) async throws -> ImportCounts {
        try await pool.write { db in
            let counts = try Self.upsertListedPapers(papers, db: db)
            try Self.save(checkpoint, db: db)
            return counts
        }
    }

    public func saveHarvestCheckpoint(_ checkpoint: HarvestCheckpoint) async throws {
        try await pool.write { db in try Self.save(checkpoint, db: db) }
    }

    private static func save(_ checkpoint: HarvestCheckpoint, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO harvest_checkpoints (source, from_date, until_date, resumption_token, records, next_from)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (source) DO UPDATE SET from_date = excluded.from_date, until_date = excluded.until_date,
                    resumption_token = excluded.resumption_token, records = excluded.records,
                    next_from = excluded.next_from
                """,
            arguments: [checkpoint.source, checkpoint.from, checkpoint.until, checkpoint.resumptionToken, checkpoint.records, checkpoint.nextFrom]
        )
    }

    private static func checkpoint(_ row: Row) -> HarvestCheckpoint {
        HarvestCheckpoint(
            source: row["source"],
            from: row["from_date"],
            until: row["until_date"],
            resumptionToken: row["resumption_token"],
            records: row["records"],
            nextFrom: row["next_from"]
        )
    }

    // MARK: Runs and schedule

    public func beginSyncRun(source: String, startedAt: Date) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO sync_runs (source, started_at) VALUES (?, ?)",
                arguments: [source, startedAt.timeIntervalSince1970]
            )
            return db.lastInsertedRowID
        }
    }

    public func finishSyncRun(id: Int64, endedAt: Date, counts: SyncCounts, error: String?, keep: Int) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE sync_runs SET ended_at = ?, fetched = ?, new = ?, updated = ?, rejected = ?, error = ?
                    WHERE id = ?
                    """,
                arguments: [
                    endedAt.timeIntervalSince1970, counts.fetched, counts.new, counts.updated, counts.rejected, error, id,
                ]
            )
            try db.execute(
                sql: """
                    DELETE FROM sync_runs WHERE source = (SELECT source FROM sync_runs WHERE id = ?)
                        AND id NOT IN (
                            SELECT id FROM sync_runs WHERE source = (SELECT source FROM sync_runs WHERE id = ?)
                            ORDER BY id DESC LIMIT ?)
                    """,
                arguments: [id, id, max(keep, 1)]
            )
        }
    }

    public func setNextSyncRun(source: String, at: Date?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_schedule (source, next_run_at) VALUES (?, ?)
                    ON CONFLICT (source) DO UPDATE SET next_run_at = excluded.next_run_at
                    """,
                arguments: [source, at?.timeIntervalSince1970]
            )
        }
    }

    public func syncSourceStates() async throws -> [SyncSourceState] {
        try await pool.read { db in
            let sources = try String.fetchAll(
                db,
                sql: "SELECT source FROM sync_runs UNION SELECT source FROM sync_schedule ORDER BY source"
            )
            return try sources.map { source in
                let last = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM sync_runs WHERE source = ? ORDER BY id DESC LIMIT 1",
                    arguments: [source]
                )
                let failure = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM sync_runs WHERE source = ? AND error IS NOT NULL ORDER BY id DESC LIMIT 1",
                    arguments: [source]
                )
                let next = try Double.fetchOne(db, sql: "SELECT next_run_at FROM sync_schedule WHERE source = ?", arguments: [source])
                return SyncSourceState(
                    source: source,
                    lastRun: last.map(Self.syncRun),
                    lastFailure: failure.map(Self.syncRun),
                    nextRunAt: next.map { Date(timeIntervalSince1970: $0) }
                )
            }
        }
    }

    private static func syncRun(_ row: Row) -> SyncRun {
        let ended: Double? = row["ended_at"]
        return SyncRun(
            id: row["id"],
            source: row["source"],
            startedAt: Date(timeIntervalSince1970: row["started_at"]),
            endedAt: ended.map { Date(timeIntervalSince1970: $0) },
            counts: SyncCounts(fetched: row["fetched"], new: row["new"], updated: row["updated"], rejected: row["rejected"]),
            error: row["error"]
        )
    }
}
