import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: DigestStore {
    // MARK: Subscribers

    public func subscribe(email: String, userID: Int64?, now: Date) async throws -> Subscriber {
        try await pool.write { db in
            let key = email.lowercased()
            let stamp = Self.timestamp(now)
            if let existing = try Self.fetchSubscriber(db, where: "email_key = ?", [key]) {
                // Only an address that is not getting digests goes back to pending; the owed
                // confirmation is reset so a fresh one is sent.
                let reopen = existing.state == .unsubscribed || existing.state == .disabled
                try db.execute(
                    sql: """
                        UPDATE subscribers SET
                            user_id = COALESCE(user_id, ?),
                            state = CASE WHEN ? THEN 'pending' ELSE state END,
                            permanent_failures = CASE WHEN ? THEN 0 ELSE permanent_failures END,
                            confirmation_requested_at = ?,
                            confirmation_sent_at = CASE WHEN ? THEN NULL ELSE confirmation_sent_at END
                        WHERE id = ?
                        """,
                    arguments: [userID, reopen, reopen, stamp, reopen, existing.id]
                )
                return try Self.fetchSubscriber(db, where: "id = ?", [existing.id])!
            }
            try db.execute(
                sql: """
                    INSERT INTO subscribers (email, email_key, user_id, state, created_at, confirmation_requested_at)
                    VALUES (?, ?, ?, 'pending', ?, ?)
                    """,
                arguments: [email, key, userID, stamp, stamp]
            )
            return try Self.fetchSubscriber(db, where: "id = ?", [db.lastInsertedRowID])!
        }
    }

    public func subscriber(id: Int64) async throws -> Subscriber? {
        try await pool.read { db in try Self.fetchSubscriber(db, where: "id = ?", [id]) }
    }

    public func subscriber(email: String) async throws -> Subscriber? {
        try await pool.read { db in try Self.fetchSubscriber(db, where: "email_key = ?", [email.lowercased()]) }
    }

    public func subscriber(forUser userID: Int64, email: String) async throws -> Subscriber? {
        try await pool.read { db in
            try Self.fetchSubscriber(db, where: "user_id = ?", [userID])
                ?? Self.fetchSubscriber(db, where: "email_key = ?", [email.lowercased()])
        }
    }

    public func markConfirmationSent(subscriberID: Int64, at: Date?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE subscribers SET confirmation_sent_at = ? WHERE id = ?",
                arguments: [at.map(Self.timestamp), subscriberID]
            )
        }
    }

    public func subscribersOwedConfirmation(limit: Int) async throws -> [Subscriber] {
        try await pool.read { db in
            try Self.fetchSubscribers(
                db,
                where: "state = 'pending' AND confirmation_sent_at IS NULL ORDER BY id LIMIT ?",
                [limit]
            )
        }
    }

    public func confirm(subscriberID: Int64, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE subscribers SET state = 'confirmed', confirmed_at = ?, permanent_failures = 0
                    WHERE id = ? AND state = 'pending'
                    """,
                arguments: [Self.timestamp(now), subscriberID]
            )
            return db.changesCount > 0
        }
    }

    public func unsubscribe(subscriberID: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE subscribers SET state = 'unsubscribed' WHERE id = ? AND state != 'unsubscribed'",
                arguments: [subscriberID]
            )
            return db.changesCount > 0
        }
    }

    public func importConfirmedSubscribers(_ emails: [String], now: Date) async throws -> (added: Int, confirmed: Int) {
        try await pool.write { db in
            let stamp = Self.timestamp(now)
            var added = 0
            var confirmed = 0
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO subscribers (email, email_key, state, created_at, confirmed_at)
                    VALUES (?, ?, 'confirmed', ?, ?) ON CONFLICT (email_key) DO NOTHING
                    """
            )
            let update = try db.cachedStatement(
                sql: """
                    UPDATE subscribers SET state = 'confirmed', confirmed_at = ?, permanent_failures = 0
                    WHERE email_key = ? AND state != 'confirmed'
                    """
            )
            for email in emails {
                try insert.execute(arguments: [email, email.lowercased(), stamp, stamp])
                if db.changesCount > 0 {
                    added += 1
                    continue
                }
                try update.execute(arguments: [stamp, email.lowercased()])
                confirmed += db.changesCount
            }
            return (added, confirmed)
        }
    }

    public func subscribers(after cursor: Int64?, limit: Int) async throws -> [Subscriber] {
        try await pool.read { db in
            try Self.fetchSubscribers(db, where: "id > ? ORDER BY id LIMIT ?", [cursor ?? 0, limit])
        }
    }

    public func subscriberCounts() async throws -> [SubscriberState: Int] {
        try await pool.read { db in
            var counts: [SubscriberState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM subscribers GROUP BY state") {
                if let state = SubscriberState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    static func fetchSubscriber(
        _ db: Database,
        where condition: String,
        _ arguments: StatementArguments
    ) throws
        -> Subscriber?
    {
        try fetchSubscribers(db, where: condition + " LIMIT 1", arguments).first
    }

    static func fetchSubscribers(
        _ db: Database,
        where condition: String,
        _ arguments: StatementArguments
    ) throws
        -> [Subscriber]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, email, user_id, state, created_at, confirmation_sent_at, permanent_failures, last_error
                FROM subscribers WHERE \(condition)
                """,
            arguments: arguments
        ).map { row in
            Subscriber(
                id: row["id"],
                email: row["email"],
                userID: row["user_id"],
                state: SubscriberState(rawValue: row["state"]) ?? .pending,
                createdAt: row["created_at"],
                confirmationSentAt: row["confirmation_sent_at"],
                permanentFailures: row["permanent_failures"],
                lastError: row["last_error"]
            )
        }
    }

    // MARK: Delivery log

    public func enqueueDigest(date: FeedDay, now: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO digest_deliveries (subscriber_id, digest_date, state, updated_at)
                    SELECT id, ?, 'pending', ? FROM subscribers WHERE state = 'confirmed'
                    ON CONFLICT (subscriber_id, digest_date) DO NOTHING
                    """,
                arguments: [date.description, Self.timestamp(now)]
            )
            let added = db.changesCount
            // Readers who left since their delivery was enqueued get nothing.
            try db.execute(
                sql: """
                    UPDATE digest_deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = ?
                    WHERE digest_date = ? AND state IN ('pending', 'sending', 'retry')
                        AND subscriber_id IN (SELECT id FROM subscribers WHERE state != 'confirmed')
                    """,
                arguments: [Self.timestamp(now), date.description]
            )
            return added
        }
    }

    public func dueDeliveries(date: FeedDay, now: Date, limit: Int) async throws -> [DigestDelivery] {
        try await pool.read { db in
            try Self.fetchDeliveries(
                db,
                where: """
                    d.digest_date = ? AND s.state = 'confirmed' AND (d.state IN ('pending', 'sending')
                        OR (d.state = 'retry' AND d.next_attempt_at <= ?))
                    ORDER BY d.subscriber_id LIMIT ?
                    """,
                [date.description, now.timeIntervalSince1970, limit]
            )
        }
    }

    public func nextRetry(date: FeedDay) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(d.next_attempt_at) FROM digest_deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                    WHERE d.digest_date = ? AND d.state = 'retry' AND s.state = 'confirmed'
                    """,
                arguments: [date.description]
            ).map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func sentPaperIDs(subscriberIDs: [Int64]) async throws -> [Int64: Set<String>] {
        guard !subscriberIDs.isEmpty else { return [:] }
        return try await pool.read { db in
            var sent: [Int64: Set<String>] = [:]
            for chunk in stride(from: 0, to: subscriberIDs.count, by: 500) {
                let ids = Array(subscriberIDs[chunk..<min(chunk + 500, subscriberIDs.count)])
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT subscriber_id, paper_id FROM digest_sent_papers
                        WHERE subscriber_id IN (\(databaseQuestionMarks(count: ids.count)))
                        """,
                    arguments: StatementArguments(ids)
                )
                while let row = try rows.next() {
                    sent[row["subscriber_id"], default: []].insert(row["paper_id"])
                }
            }
            return sent
        }
    }

    public func markComposed(_ compositions: [DigestComposition], date: FeedDay, now: Date) async throws {
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE digest_deliveries SET state = 'sending', message_id = ?, paper_ids = ?, pick_ids = ?,
                        updated_at = ?
                    WHERE subscriber_id = ? AND digest_date = ? AND state IN ('pending', 'sending', 'retry')
                    """
            )
            for composition in compositions {
                try statement.execute(arguments: [
                    composition.messageID, Self.jsonArray(composition.paperIDs), Self.jsonArray(composition.pickIDs),
                    Self.timestamp(now), composition.subscriberID, date.description,
                ])
            }
        }
    }

    public func markSent(subscriberID: Int64, date: FeedDay, now: Date) async throws {
        try await pool.write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE digest_deliveries SET state = 'sent', attempts = attempts + 1, last_error = NULL,
                        next_attempt_at = NULL, updated_at = ?
                    WHERE subscriber_id = ? AND digest_date = ?
                    """
            ).execute(arguments: [Self.timestamp(now), subscriberID, date.description])
            // Every paper of the message, trending and picks alike, counts as sent.
            try db.cachedStatement(
                sql: """
                    INSERT INTO digest_sent_papers (subscriber_id, paper_id, digest_date)
                    SELECT d.subscriber_id, j.value, d.digest_date
                    FROM digest_deliveries d, json_each(d.paper_ids) j
                    WHERE d.subscriber_id = ? AND d.digest_date = ?
                    UNION ALL
                    SELECT d.subscriber_id, j.value, d.digest_date
                    FROM digest_deliveries d, json_each(d.pick_ids) j
                    WHERE d.subscriber_id = ? AND d.digest_date = ?
                    ON CONFLICT (subscriber_id, paper_id) DO NOTHING
                    """
            ).execute(arguments: [subscriberID, date.description, subscriberID, date.description])
            try db.cachedStatement(sql: "UPDATE subscribers SET permanent_failures = 0 WHERE id = ? AND permanent_failures > 0")
                .execute(arguments: [subscriberID])
        }
    }

    public func markSkipped(subscriberID: Int64, date: FeedDay, reason: String, now: Date) async throws {
        try await updateDelivery(subscriberID, date, state: .skipped, error: reason, nextAttempt: nil, now: now)
    }

    public func markRetry(subscriberID: Int64, date: FeedDay, error: String, nextAttempt: Date, now: Date) async throws {
        try await updateDelivery(subscriberID, date, state: .retry, error: error, nextAttempt: nextAttempt, now: now)
    }

    public func markFailed(
        subscriberID: Int64,
        date: FeedDay,
        error: String,
        permanent: Bool,
        disableAfter: Int,
        now: Date
    ) async throws -> Bool {
        try await pool.write { db in
            try Self.updateDelivery(db, subscriberID, date, state: .failed, error: error, nextAttempt: nil, now: now)
            guard permanent else { return false }
            try db.execute(
                sql: "UPDATE subscribers SET permanent_failures = permanent_failures + 1, last_error = ? WHERE id = ?",
                arguments: [error, subscriberID]
            )
            try db.execute(
                sql: """
                    UPDATE subscribers SET state = 'disabled'
                    WHERE id = ? AND permanent_failures >= ? AND state = 'confirmed'
                    """,
                arguments: [subscriberID, disableAfter]
            )
            return db.changesCount > 0
        }
    }

    private func updateDelivery(
        _ subscriberID: Int64,
        _ date: FeedDay,
        state: DeliveryState,
        error: String?,
        nextAttempt: Date?,
        now: Date
    ) async throws {
        try await pool.write { db in
            try Self.updateDelivery(db, subscriberID, date, state: state, error: error, nextAttempt: nextAttempt, now: now)
        }
    }

    private static func updateDelivery(
        _ db: Database,
        _ subscriberID: Int64,
        _ date: FeedDay,
        state: DeliveryState,
        error: String?,
        nextAttempt: Date?,
        now: Date
    ) throws {
        // A skip is a decision, not an attempt; retries and failures are attempts.
        let attempted = state == .skipped ? 0 : 1
        try db.cachedStatement(
            sql: """
                UPDATE digest_deliveries SET state = ?, attempts = attempts + ?, last_error = ?, next_attempt_at = ?,
                    updated_at = ?
                WHERE subscriber_id = ? AND digest_date = ?
                """
        ).execute(arguments: [
            state.rawValue, attempted, error, nextAttempt?.timeIntervalSince1970, timestamp(now), subscriberID,
            date.description,
        ])
    }

    public func deliveryCounts(date: FeedDay) async throws -> [DeliveryState: Int] {
        try await pool.read { db in
            var counts: [DeliveryState: Int] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT state, COUNT(*) AS n FROM digest_deliveries WHERE digest_date = ? GROUP BY state",
                arguments: [date.description]
            )
            for row in rows {
                if let state = DeliveryState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func deliveries(date: FeedDay) async throws -> [DigestDelivery] {
        try await pool.read { db in
            try Self.fetchDeliveries(db, where: "d.digest_date = ? ORDER BY d.subscriber_id", [date.description])
        }
    }

    static func fetchDeliveries(
        _ db: Database,
        where condition: String,
        _ arguments: StatementArguments
    ) throws
        -> [DigestDelivery]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT d.*, s.email, s.user_id FROM digest_deliveries d
                JOIN subscribers s ON s.id = d.subscriber_id
                WHERE \(condition)
                """,
            arguments: arguments
        ).map { row in
            DigestDelivery(
                subscriberID: row["subscriber_id"],
                email: row["email"],
                userID: row["user_id"],
                date: FeedDay(row["digest_date"] as String) ?? FeedDay(daysSinceEpoch: 0),
                state: DeliveryState(rawValue: row["state"]) ?? .pending,
                attempts: row["attempts"],
                messageID: row["message_id"],
                paperIDs: decodeJSONArray(row["paper_ids"]),
                pickIDs: decodeJSONArray(row["pick_ids"]),
                lastError: row["last_error"]
            )
        }
    }

    static func jsonArray(_ values: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(values), as: UTF8.self)) ?? "[]"
    }

    static func decodeJSONArray(_ text: String?) -> [String] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    // MARK: Leases and secrets

    public func acquireLease(
        name: String,
        holder: String,
        until: Date,
        now: Date,
        stealFrom: String?
    ) async throws
        -> String
    {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE leases.holder = excluded.holder OR leases.expires_at < ? OR leases.holder = ?
                    """,
                arguments: [name, holder, until.timeIntervalSince1970, now.timeIntervalSince1970, stealFrom]
            )
            return try String.fetchOne(db, sql: "SELECT holder FROM leases WHERE name = ?", arguments: [name]) ?? ""
        }
    }

    public func releaseLease(name: String, holder: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM leases WHERE name = ? AND holder = ?", arguments: [name, holder])
        }
    }

    public func instanceSecret(named name: String) async throws -> String {
        try await pool.write { db in
            let fresh = self.random.hex(32)
            try db.execute(
                sql: "INSERT INTO instance_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                arguments: [name, fresh]
            )
            return try String.fetchOne(db, sql: "SELECT value FROM instance_settings WHERE key = ?", arguments: [name])
                ?? fresh
        }
    }
}
