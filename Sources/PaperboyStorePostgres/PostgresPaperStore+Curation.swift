import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// Each write locks the row it reads before deciding (`FOR NO KEY UPDATE`): two editors acting
/// at once on the same paper, entry or reader take turns, and only the first one logs a change.
extension PostgresPaperStore: CurationStore {
    // MARK: - Roles

    public func setAdmin(email: String, _ isAdmin: Bool, by actor: AdminActor) async throws -> RoleChange? {
        try await transaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT id, email, name, is_admin FROM users WHERE email_key = \(email.lowercased()) FOR NO KEY UPDATE",
                    logger: self.logger
                ).collect().first?.makeRandomAccess()
            else { return nil }
            let reader = Reader(
                id: try row["id"].decode(Int64.self),
                email: try row["email"].decode(String.self),
                name: try row["name"].decode(String.self)
            )
            guard (try row["is_admin"].decode(Int.self) != 0) != isAdmin else { return RoleChange(reader: reader, changed: false) }
            try await connection.query("UPDATE users SET is_admin = \(isAdmin ? 1 : 0) WHERE id = \(reader.id)", logger: self.logger)
            try await self.log(isAdmin ? .grantAdmin : .revokeAdmin, target: reader.email, detail: reader.name, by: actor, on: connection)
            return RoleChange(reader: reader, changed: true)
        }
    }

    public func isAdmin(readerID: Int64) async throws -> Bool {
        try await scalar("SELECT is_admin FROM users WHERE id = \(readerID)", as: Int.self).map { $0 != 0 } ?? false
    }

    /// By name in byte order, as SQLite sorts it, whatever the server's locale.
    public func admins() async throws -> [Reader] {
        try await rows(#"SELECT id, email, name FROM users WHERE is_admin <> 0 ORDER BY name COLLATE "C""#).map(Self.reader)
    }

    // MARK: - Hiding and featuring

    public func setPaperHidden(_ paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await transaction { connection in
            guard let wasHidden = try await Self.hiddenPaper(paperID, on: connection, logger: self.logger) else { return nil }
            guard wasHidden != hidden else { return false }
            _ = try await self.nextRevision(connection)
            try await connection.query(
                "UPDATE papers SET hidden_at = \(hidden ? self.curationStamp : nil) WHERE id = \(paperID)",
                logger: self.logger
            )
            try await self.log(hidden ? .hidePaper : .unhidePaper, target: paperID, detail: nil, by: actor, on: connection)
            return true
        }
    }

    public func setEntryHidden(day: FeedDay, paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await transaction { connection in
            guard let wasHidden = try await Self.hiddenEntry(day: day, paperID: paperID, on: connection, logger: self.logger)
            else { return nil }
            guard wasHidden != hidden else { return false }
            _ = try await self.nextRevision(connection)
            try await connection.query(
                """
                UPDATE daily_entries SET hidden_at = \(hidden ? self.curationStamp : nil)
                WHERE day = \(day.description) AND paper_id = \(paperID)
                """,
                logger: self.logger
            )
            try await self.log(hidden ? .hideEntry : .unhideEntry, target: paperID, detail: day.description, by: actor, on: connection)
            return true
        }
    }

    public func feature(_ entry: DailyEntry, by actor: AdminActor) async throws -> FeatureOutcome {
        try await transaction { connection in
            let paperID = entry.paper.id
            var revision: Int?
            var paperHidden = try await Self.hiddenPaper(paperID, on: connection, logger: self.logger)
            if paperHidden == nil {
                let stamp = try await self.nextRevision(connection)
                revision = stamp
                let new = StoredPaper(paper: entry.paper, upvotesDay: entry.day)
                let inserted = try await PostgresPaperRow.insertNew([new], revision: stamp, on: connection, logger: self.logger)
                if inserted.isEmpty {
                    // Another node stored it meanwhile: theirs is locked and decides.
                    paperHidden = try await Self.hiddenPaper(paperID, on: connection, logger: self.logger)
                } else {
                    paperHidden = false
                }
            }
            if paperHidden == true { return .paperHidden }
            let entryHidden = try await Self.hiddenEntry(day: entry.day, paperID: paperID, on: connection, logger: self.logger)
            if entryHidden == false { return .alreadyOnFeed }
            if revision == nil { _ = try await self.nextRevision(connection) }
            let outcome: FeatureOutcome
            if entryHidden == true {
                try await connection.query(
                    "UPDATE daily_entries SET hidden_at = NULL WHERE day = \(entry.day.description) AND paper_id = \(paperID)",
                    logger: self.logger
                )
                outcome = .shownAgain
            } else {
                try await PostgresPaperRow.upsertEntries([entry], on: connection, logger: self.logger)
                outcome = .featured
            }
            try await self.log(.feature, target: paperID, detail: entry.day.description, by: actor, on: connection)
            return outcome
        }
    }

    public func curation(of paperID: String) async throws -> PaperCuration? {
        guard let row = try await firstRow("SELECT hidden_at IS NOT NULL AS hidden FROM papers WHERE id = \(paperID)") else { return nil }
        let days = try await rows(
            "SELECT day FROM daily_entries WHERE paper_id = \(paperID) AND hidden_at IS NOT NULL ORDER BY day"
        ).compactMap { FeedDay(try $0["day"].decode(String.self)) }
        return PaperCuration(hidden: try row["hidden"].decode(Bool.self), hiddenDays: days)
    }

    /// Whether a paper is hidden, its row locked until the transaction ends; nil when there is none.
    private static func hiddenPaper(_ paperID: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool? {
        try await connection.query(
            "SELECT hidden_at IS NOT NULL AS hidden FROM papers WHERE id = \(paperID) FOR NO KEY UPDATE",
            logger: logger
        ).collect().first.map { try $0.makeRandomAccess()["hidden"].decode(Bool.self) }
    }

    /// Whether a feed entry is hidden, its row locked until the transaction ends; nil when there is none.
    private static func hiddenEntry(day: FeedDay, paperID: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool? {
        try await connection.query(
            """
            SELECT hidden_at IS NOT NULL AS hidden FROM daily_entries
            WHERE day = \(day.description) AND paper_id = \(paperID) FOR NO KEY UPDATE
            """,
            logger: logger
        ).collect().first.map { try $0.makeRandomAccess()["hidden"].decode(Bool.self) }
    }

    // MARK: - What editors look at

    /// Entries without a submission time come last within their day, as SQLite sorts NULLs.
    public func recentEntries(limit: Int) async throws -> [CuratedEntry] {
        try await rows(
            """
            SELECT p.*, e.day, e.submitted_at, e.submitter_name, e.submitter_fullname,
                e.submitter_avatar, e.upvotes AS entry_upvotes, e.num_comments, e.thumbnail,
                e.hidden_at IS NOT NULL AS entry_hidden, p.hidden_at IS NOT NULL AS paper_hidden
            FROM daily_entries e JOIN papers p ON p.id = e.paper_id
            ORDER BY e.day DESC, e.submitted_at DESC NULLS LAST, p.id
            LIMIT \(limit)
            """
        ).map { row in
            CuratedEntry(
                entry: try PostgresPaperRow.decodeEntry(row),
                entryHidden: try row["entry_hidden"].decode(Bool.self),
                paperHidden: try row["paper_hidden"].decode(Bool.self)
            )
        }
    }

    public func hiddenPapers(limit: Int) async throws -> [Paper] {
        try await rows("SELECT * FROM papers WHERE hidden_at IS NOT NULL ORDER BY hidden_at DESC, id LIMIT \(limit)")
            .map(PostgresPaperRow.decode)
    }

    public func recentReaders(limit: Int) async throws -> [ReaderSignUp] {
        try await rows("SELECT id, email, name, created_at, is_admin FROM users ORDER BY created_at DESC, id DESC LIMIT \(limit)")
            .map { row in
                ReaderSignUp(
                    reader: try Self.reader(row),
                    createdAt: try row["created_at"].decode(String.self),
                    isAdmin: try row["is_admin"].decode(Int.self) != 0
                )
            }
    }

    public func adminActions(limit: Int) async throws -> [AdminAction] {
        try await rows("SELECT * FROM admin_actions ORDER BY id DESC LIMIT \(limit)").compactMap { row -> AdminAction? in
            guard let kind = AdminAction.Kind(rawValue: try row["action"].decode(String.self)) else { return nil }
            return AdminAction(
                id: try row["id"].decode(Int64.self),
                actor: AdminActor(readerID: try row["actor_id"].decode(Int64?.self), name: try row["actor"].decode(String.self)),
                kind: kind,
                target: try row["target"].decode(String.self),
                detail: try row["detail"].decode(String?.self),
                at: try row["created_at"].decode(String.self)
            )
        }
    }

    private static func reader(_ row: PostgresRandomAccessRow) throws -> Reader {
        Reader(id: try row["id"].decode(Int64.self), email: try row["email"].decode(String.self), name: try row["name"].decode(String.self))
    }

    /// Adds a row to the admin log, inside the transaction of the change it records.
    func log(
        _ kind: AdminAction.Kind,
        target: String,
        detail: String?,
        by actor: AdminActor,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO admin_actions (actor_id, actor, action, target, detail, created_at)
            VALUES (\(actor.readerID), \(actor.name), \(kind.rawValue), \(target), \(detail), \(curationStamp))
            """,
            logger: logger
        )
    }

    /// The injected clock's now, as SQLite stores it (ISO 8601, UTC).
    private var curationStamp: String {
        Date(timeIntervalSince1970: clock.now).formatted(.iso8601)
    }
}
