import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

// Several nodes write at once: a write learns its outcome from the write itself (a unique key
// met, a row changed or not), never from an earlier read another node could have made stale.

extension PostgresPaperStore: ReaderStore {
    public func createUser(email: String, name: String, passwordHash: String) async throws -> Reader {
        do {
            let id = try await scalar(
                """
                INSERT INTO users (email, email_key, name, password_hash, created_at)
                VALUES (\(email), \(email.lowercased()), \(name), \(passwordHash), \(nowStamp)) RETURNING id
                """,
                as: Int64.self
            )
            return Reader(id: id ?? 0, email: email, name: name)
        } catch let error as PSQLError where PostgresErrorText.sqlState(error) == "23505" {
            // Also where another node inserts the same address or name at once: this insert
            // waits for it and fails when it commits. The email's index is the older one and
            // is checked first, so an address and a name both taken report the address, as
            // SQLite does.
            switch error.serverInfo?[.constraintName] {
            case "users_email_key_key": throw AccountError.emailTaken
            case "users_name_key": throw AccountError.nameTaken
            default: throw error
            }
        }
    }

    public func credentials(email: String) async throws -> (reader: Reader, passwordHash: String)? {
        guard
            let row = try await firstRow(
                "SELECT id, email, name, password_hash FROM users WHERE email_key = \(email.lowercased())"
            )
        else { return nil }
        return (try Self.decodeReader(row), try row["password_hash"].decode(String.self))
    }

    /// Names are unique whatever their case (`users_name_key` is on `lower(name)`).
    public func reader(named name: String) async throws -> Reader? {
        try await firstRow("SELECT id, email, name, display_name FROM users WHERE lower(name) = lower(\(name))").map { row in
            var reader = try Self.decodeReader(row)
            reader.displayName = try row["display_name"].decode(String?.self)
            return reader
        }
    }

    public func setDisplayName(of readerID: Int64, to displayName: String?) async throws {
        try await execute("UPDATE users SET display_name = \(displayName) WHERE id = \(readerID)")
    }

    public func displayName(of readerID: Int64) async throws -> String? {
        try await scalar("SELECT display_name FROM users WHERE id = \(readerID)", as: String.self)
    }

    public func changePassword(of readerID: Int64, to passwordHash: String, keepingSession tokenHash: String) async throws {
        try await transaction { connection in
            try await connection.query("UPDATE users SET password_hash = \(passwordHash) WHERE id = \(readerID)", logger: self.logger)
            try await connection.query(
                "DELETE FROM sessions WHERE user_id = \(readerID) AND token_hash != \(tokenHash)",
                logger: self.logger
            )
        }
    }

    public func passwordHash(of readerID: Int64) async throws -> String? {
        try await scalar("SELECT password_hash FROM users WHERE id = \(readerID)", as: String.self)
    }

    /// A reader from the `id`, `email` and `name` columns of a row.
    static func decodeReader(_ row: PostgresRandomAccessRow) throws -> Reader {
        Reader(id: try row["id"].decode(Int64.self), email: try row["email"].decode(String.self), name: try row["name"].decode(String.self))
    }

    /// The injected clock's now, stamped as SQLite stamps it (ISO 8601, whole seconds, UTC).
    var nowStamp: String {
        Self.timestamp(Date(timeIntervalSince1970: clock.now))
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

extension PostgresPaperStore: SessionStore {
    public func createSession(tokenHash: String, readerID: Int64?, csrfToken: String, expiresAt: Date, now: Date) async throws {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
                VALUES (\(tokenHash), \(readerID), \(csrfToken), \(Self.timestamp(expiresAt)))
                """,
                logger: self.logger
            )
            // Sweep expired sessions as new ones come in, so the table does not grow forever.
            // Rows another node is sweeping are left to it: sweeps never wait on each other.
            try await connection.query(
                """
                DELETE FROM sessions WHERE token_hash IN (
                    SELECT token_hash FROM sessions WHERE expires_at < \(Self.timestamp(now)) FOR UPDATE SKIP LOCKED)
                """,
                logger: self.logger
            )
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> StoredSession? {
        guard
            let row = try await firstRow(
                """
                SELECT s.csrf_token, u.id, u.email, u.name FROM sessions s
                LEFT JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(tokenHash) AND s.expires_at > \(Self.timestamp(now))
                """
            )
        else { return nil }
        let reader = try row["id"].decode(Int64?.self) == nil ? nil : Self.decodeReader(row)
        return StoredSession(reader: reader, csrfToken: try row["csrf_token"].decode(String.self))
    }

    public func deleteSession(tokenHash: String) async throws {
        try await execute("DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }
}

extension PostgresPaperStore: VoteStore {
    public func upvote(paperID: String, by readerID: Int64) async throws -> Bool {
        try await changeVote(paperID: paperID, readerID: readerID, add: true)
    }

    public func removeUpvote(paperID: String, by readerID: Int64) async throws -> Bool {
        try await changeVote(paperID: paperID, readerID: readerID, add: false)
    }

    /// One transaction: the vote row and the paper's `local_upvotes` change together. The count
    /// moves only when this transaction inserted or deleted the row: two nodes given the same
    /// click at once meet on the primary key, and the second changes nothing.
    private func changeVote(paperID: String, readerID: Int64, add: Bool) async throws -> Bool {
        try await transaction { connection in
            let paper = try await connection.query("SELECT 1 FROM papers WHERE id = \(paperID)", logger: self.logger).collect()
            guard !paper.isEmpty else { throw AccountError.unknownPaper }
            let changed: PostgresQuery =
                add
                ? """
                INSERT INTO upvotes (user_id, paper_id, created_at) VALUES (\(readerID), \(paperID), \(self.nowStamp))
                ON CONFLICT DO NOTHING RETURNING 1
                """
                : "DELETE FROM upvotes WHERE user_id = \(readerID) AND paper_id = \(paperID) RETURNING 1"
            let rows = try await connection.query(changed, logger: self.logger).collect()
            guard !rows.isEmpty else { return false }
            let revision = try await self.nextRevision(connection)
            try await connection.query(
                "UPDATE papers SET local_upvotes = local_upvotes + \(add ? 1 : -1), revision = \(revision) WHERE id = \(paperID)",
                logger: self.logger
            )
            return true
        }
    }

    public func upvotedPaperIDs(by readerID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        let rows = try await rows("SELECT paper_id FROM upvotes WHERE user_id = \(readerID) AND paper_id = ANY(\(paperIDs))")
        return Set(try rows.map { try $0[0].decode(String.self) })
    }

    public func upvotedPapers(by readerID: Int64, limit: Int) async throws -> [Paper] {
        try await rows(
            """
            SELECT p.* FROM upvotes v JOIN papers p ON p.id = v.paper_id
            WHERE v.user_id = \(readerID) ORDER BY v.created_at DESC, p.id LIMIT \(limit)
            """
        ).map(PostgresPaperRow.decode)
    }

    /// Every reader vote, for benchmarks and health.
    public func localUpvoteCount() async throws -> Int {
        try await scalar("SELECT count(*) FROM upvotes", as: Int.self) ?? 0
    }
}

extension PostgresPaperStore: APITokenStore {
    public func createToken(for readerID: Int64, name: String, tokenHash: String) async throws -> APIToken {
        let created = nowStamp
        let id = try await scalar(
            """
            INSERT INTO api_tokens (user_id, name, token_hash, created_at)
            VALUES (\(readerID), \(name), \(tokenHash), \(created)) RETURNING id
            """,
            as: Int64.self
        )
        return APIToken(id: id ?? 0, name: name, createdAt: created, revoked: false)
    }

    public func tokens(of readerID: Int64) async throws -> [APIToken] {
        try await rows("SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = \(readerID) ORDER BY id DESC").map { row in
            APIToken(
                id: try row["id"].decode(Int64.self),
                name: try row["name"].decode(String.self),
                createdAt: try row["created_at"].decode(String.self),
                revoked: try row["revoked_at"].decode(String?.self) != nil
            )
        }
    }

    public func revokeToken(id: Int64, of readerID: Int64) async throws -> Bool {
        try await firstRow(
            """
            UPDATE api_tokens SET revoked_at = \(nowStamp)
            WHERE id = \(id) AND user_id = \(readerID) AND revoked_at IS NULL RETURNING id
            """
        ) != nil
    }

    public func reader(forTokenHash tokenHash: String) async throws -> Reader? {
        try await firstRow(
            """
            SELECT u.id, u.email, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(tokenHash) AND t.revoked_at IS NULL
            """
        ).map(Self.decodeReader)
    }
}
