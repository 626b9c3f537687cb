import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: CurationStore {
    // MARK: - Roles

    public func setAdmin(email: String, _ isAdmin: Bool, by actor: AdminActor) async throws -> RoleChange? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, email, name, is_admin FROM users WHERE email_key = ?",
                    arguments: [email.lowercased()]
                )
            else { return nil }
            let reader = Reader(id: row["id"], email: row["email"], name: row["name"])
            guard (row["is_admin"] as Bool) != isAdmin else { return RoleChange(reader: reader, changed: false) }
            try db.execute(sql: "UPDATE users SET is_admin = ? WHERE id = ?", arguments: [isAdmin, reader.id])
            try self.log(isAdmin ? .grantAdmin : .revokeAdmin, target: reader.email, detail: reader.name, by: actor, db: db)
            return RoleChange(reader: reader, changed: true)
        }
    }

    public func isAdmin(readerID: Int64) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT is_admin FROM users WHERE id = ?", arguments: [readerID]) ?? false
        }
    }

    public func admins() async throws -> [Reader] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, email, name FROM users WHERE is_admin ORDER BY name")
                .map { Reader(id: $0["id"], email: $0["email"], name: $0["name"]) }
        }
    }

    // MARK: - Hiding and featuring

    public func setPaperHidden(_ paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT hidden_at FROM papers WHERE id = ?", arguments: [paperID])
            else { return nil }
            guard ((row["hidden_at"] as String?) != nil) != hidden else { return false }
            _ = try Self.nextRevision(db)
            try db.execute(
                sql: "UPDATE papers SET hidden_at = ? WHERE id = ?",
                arguments: [hidden ? self.nowStamp : nil, paperID]
            )
            try self.log(hidden ? .hidePaper : .unhidePaper, target: paperID, detail: nil, by: actor, db: db)
            return true
        }
    }

    public func setEntryHidden(day: FeedDay, paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT hidden_at FROM daily_entries WHERE day = ? AND paper_id = ?",
                    arguments: [day.description, paperID]
                )
            else { return nil }
            guard ((row["hidden_at"] as String?) != nil) != hidden else { return false }
            _ = try Self.nextRevision(db)
            try db.execute(
                sql: "UPDATE daily_entries SET hidden_at = ? WHERE day = ? AND paper_id = ?",
                arguments: [hidden ? self.nowStamp : nil, day.description, paperID]
            )
            try self.log(hidden ? .hideEntry : .unhideEntry, target: paperID, detail: day.description, by: actor, db: db)
            return true
        }
    }

    public func feature(_ entry: DailyEntry, by actor: AdminActor) async throws -> FeatureOutcome {
        try await pool.write { db in
            let paperID = entry.paper.id
            let day = entry.day.description
            if let hiddenAt = try Row.fetchOne(db, sql: "SELECT hidden_at FROM papers WHERE id = ?", arguments: [paperID]) {
                if (hiddenAt["hidden_at"] as String?) != nil { return .paperHidden }
            }
            let existing = try Row.fetchOne(
                db,
                sql: "SELECT hidden_at FROM daily_entries WHERE day = ? AND paper_id = ?",
                arguments: [day, paperID]
            )
            if let existing, (existing["hidden_at"] as String?) == nil { return .alreadyOnFeed }
            let revision = try Self.nextRevision(db)
            if try Self.fetchPaperForUpdate(id: paperID, db: db) == nil {
                try PaperRow.insert(entry.paper, upvotesDay: entry.day, revision: revision, db: db)
            }
            let outcome: FeatureOutcome
            if existing != nil {
                try db.execute(
                    sql: "UPDATE daily_entries SET hidden_at = NULL WHERE day = ? AND paper_id = ?",
                    arguments: [day, paperID]
                )
                outcome = .shownAgain
            } else {
                _ = try Self.upsertEntry(entry, db: db)
                outcome = .featured
            }
            try self.log(.feature, target: paperID, detail: day, by: actor, db: db)
            return outcome
        }
    }

    public func curation(of paperID: String) async throws -> PaperCuration? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT hidden_at FROM papers WHERE id = ?", arguments: [paperID])
            else { return nil }
            let days = try String.fetchAll(
                db,
                sql: "SELECT day FROM daily_entries WHERE paper_id = ? AND hidden_at IS NOT NULL ORDER BY day",
                arguments: [paperID]
            )
            return PaperCuration(hidden: (row["hidden_at"] as String?) != nil, hiddenDays: days.compactMap { FeedDay($0) })
        }
    }

    // MARK: - What editors look at

    public func recentEntries(limit: Int) async throws -> [CuratedEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.*, e.day, e.submitted_at, e.submitter_name, e.submitter_fullname,
                        e.submitter_avatar, e.upvotes AS entry_upvotes, e.num_comments, e.thumbnail,
                        e.hidden_at IS NOT NULL AS entry_hidden, p.hidden_at IS NOT NULL AS paper_hidden
                    FROM daily_entries e JOIN papers p ON p.id = e.paper_id
                    ORDER BY e.day DESC, e.submitted_at DESC, p.id
                    LIMIT ?
                    """,
                arguments: [limit]
            ).map { row in
                CuratedEntry(entry: try PaperRow.decodeEntry(row), entryHidden: row["entry_hidden"], paperHidden: row["paper_hidden"])
            }
        }
    }

    public func hiddenPapers(limit: Int) async throws -> [Paper] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM papers WHERE hidden_at IS NOT NULL ORDER BY hidden_at DESC, id LIMIT ?",
                arguments: [limit]
            ).map(PaperRow.decode)
        }
    }

    public func recentReaders(limit: Int) async throws -> [ReaderSignUp] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, email, name, created_at, is_admin FROM users ORDER BY created_at DESC, id DESC LIMIT ?",
                arguments: [limit]
            ).map { row in
                ReaderSignUp(
                    reader: Reader(id: row["id"], email: row["email"], name: row["name"]),
                    createdAt: row["created_at"],
                    isAdmin: row["is_admin"]
                )
            }
        }
    }

    public func adminActions(limit: Int) async throws -> [AdminAction] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM admin_actions ORDER BY id DESC LIMIT ?",
                arguments: [limit]
            ).compactMap { row -> AdminAction? in
                guard let kind = AdminAction.Kind(rawValue: row["action"]) else { return nil }
                return AdminAction(
                    id: row["id"],
                    actor: AdminActor(readerID: row["actor_id"], name: row["actor"]),
                    kind: kind,
                    target: row["target"],
                    detail: row["detail"],
                    at: row["created_at"]
                )
            }
        }
    }

    /// Adds a row to the admin log, inside the transaction of the change it records.
    func log(_ kind: AdminAction.Kind, target: String, detail: String?, by actor: AdminActor, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO admin_actions (actor_id, actor, action, target, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [actor.readerID, actor.name, kind.rawValue, target, detail, nowStamp]
        )
    }
}
