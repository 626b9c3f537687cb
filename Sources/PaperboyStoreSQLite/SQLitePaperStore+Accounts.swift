import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: AccountStore {
    public func createUser(email: String, name: String, passwordHash: String) async throws -> Reader {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE email_key = ?", arguments: [email.lowercased()]) == true {
                throw AccountError.emailTaken
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == true {
                throw AccountError.nameTaken
            }
            try db.execute(
                sql: "INSERT INTO users (email, email_key, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [email, email.lowercased(), name, passwordHash, self.nowStamp]
            )
            return Reader(id: db.lastInsertedRowID, email: email, name: name)
        }
    }

    public func credentials(email: String) async throws -> (reader: Reader, passwordHash: String)? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT id, email, name, password_hash FROM users WHERE email_key = ?",
                arguments: [email.lowercased()]
            ).map { (Reader(id: $0["id"], email: $0["email"], name: $0["name"]), $0["password_hash"]) }
        }
    }

    public func reader(named name: String) async throws -> Reader? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, email, name, display_name FROM users WHERE name = ?", arguments: [name])
                .map {
                    var reader = Reader(id: $0["id"], email: $0["email"], name: $0["name"])
                    reader.displayName = $0["display_name"]
                    return reader
                }
        }
    }

    public func setDisplayName(of readerID: Int64, to displayName: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET display_name = ? WHERE id = ?", arguments: [displayName, readerID])
        }
    }

    public func displayName(of readerID: Int64) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT display_name FROM users WHERE id = ?", arguments: [readerID])
        }
    }

    public func createSession(tokenHash: String, readerID: Int64?, csrfToken: String, expiresAt: Date, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, readerID, csrfToken, Self.timestamp(expiresAt)]
            )
            // Sweep expired sessions as new ones come in, so the table does not grow forever.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [Self.timestamp(now)])
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> StoredSession? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT s.csrf_token, u.id, u.email, u.name FROM sessions s
                        LEFT JOIN users u ON u.id = s.user_id
                        WHERE s.token_hash = ? AND s.expires_at > ?
                        """,
                    arguments: [tokenHash, Self.timestamp(now)]
                )
            else { return nil }
            let id: Int64? = row["id"]
            return StoredSession(
                reader: id.map { Reader(id: $0, email: row["email"], name: row["name"]) },
                csrfToken: row["csrf_token"]
            )
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    public func upvote(paperID: String, by readerID: Int64) async throws -> Bool {
        try await changeVote(paperID: paperID, readerID: readerID, add: true)
    }

    public func removeUpvote(paperID: String, by readerID: Int64) async throws -> Bool {
        try await changeVote(paperID: paperID, readerID: readerID, add: false)
    }

    /// One transaction: the vote row and the paper's `local_upvotes` change together.
    private func changeVote(paperID: String, readerID: Int64, add: Bool) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM papers WHERE id = ?", arguments: [paperID]) == true else {
                throw AccountError.unknownPaper
            }
            if add {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO upvotes (user_id, paper_id, created_at) VALUES (?, ?, ?)",
                    arguments: [readerID, paperID, self.nowStamp]
                )
            } else {
                try db.execute(sql: "DELETE FROM upvotes WHERE user_id = ? AND paper_id = ?", arguments: [readerID, paperID])
            }
            guard db.changesCount > 0 else { return false }
            let revision = try Self.nextRevision(db)
            try db.execute(
                sql: "UPDATE papers SET local_upvotes = local_upvotes + ?, revision = ? WHERE id = ?",
                arguments: [add ? 1 : -1, revision, paperID]
            )
            return true
        }
    }

    public func upvotedPaperIDs(by readerID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        return try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: "SELECT paper_id FROM upvotes WHERE user_id = ? AND paper_id IN (\(databaseQuestionMarks(count: paperIDs.count)))",
                    arguments: StatementArguments([readerID] as [any DatabaseValueConvertible] + paperIDs)
                )
            )
        }
    }

    public func upvotedPapers(by readerID: Int64, limit: Int) async throws -> [Paper] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.* FROM upvotes v JOIN papers p ON p.id = v.paper_id
                    WHERE v.user_id = ? ORDER BY v.created_at DESC, p.id LIMIT ?
                    """,
                arguments: [readerID, limit]
            ).map(PaperRow.decode)
        }
    }

    public func changePassword(of readerID: Int64, to passwordHash: String, keepingSession tokenHash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [passwordHash, readerID])
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", arguments: [readerID, tokenHash])
        }
    }

    public func passwordHash(of readerID: Int64) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT password_hash FROM users WHERE id = ?", arguments: [readerID])
        }
    }

    public func createToken(for readerID: Int64, name: String, tokenHash: String) async throws -> APIToken {
        try await pool.write { db in
            let created = self.nowStamp
            try db.execute(
                sql: "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [readerID, name, tokenHash, created]
            )
            return APIToken(id: db.lastInsertedRowID, name: name, createdAt: created, revoked: false)
        }
    }

    public func tokens(of readerID: Int64) async throws -> [APIToken] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC",
                arguments: [readerID]
            ).map { row in
                let revokedAt: String? = row["revoked_at"]
                return APIToken(id: row["id"], name: row["name"], createdAt: row["created_at"], revoked: revokedAt != nil)
            }
        }
    }

    public func revokeToken(id: Int64, of readerID: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                arguments: [self.nowStamp, id, readerID]
            )
            return db.changesCount > 0
        }
    }

    public func reader(forTokenHash tokenHash: String) async throws -> Reader? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT u.id, u.email, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.token_hash = ? AND t.revoked_at IS NULL
                    """,
                arguments: [tokenHash]
            ).map { Reader(id: $0["id"], email: $0["email"], name: $0["name"]) }
        }
    }

    /// Every reader vote, for benchmarks and health.
    public func localUpvoteCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upvotes") ?? 0 }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// The injected clock's now, as stored.
    var nowStamp: String {
        Self.timestamp(Date(timeIntervalSince1970: clock.now))
    }
}
