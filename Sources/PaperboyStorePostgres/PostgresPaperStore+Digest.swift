import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: SubscriberStore {
    /// One statement: two nodes subscribing the same new address at once meet on `email_key`,
    /// and the second one updates the row the first inserted.
    public func subscribe(email: String, userID: Int64?, now: Date) async throws -> Subscriber {
        let stamp = Self.timestamp(now)
        // Only an address that is not getting digests goes back to pending; the owed
        // confirmation is reset so a fresh one is sent. (The SET sees the row as it was.)
        let rows = try await rows(
            """
            INSERT INTO subscribers AS s (email, email_key, user_id, state, created_at, confirmation_requested_at)
            VALUES (\(email), \(email.lowercased()), \(userID), 'pending', \(stamp), \(stamp))
            ON CONFLICT (email_key) DO UPDATE SET
                user_id = COALESCE(s.user_id, excluded.user_id),
                state = CASE WHEN s.state IN ('unsubscribed', 'disabled') THEN 'pending' ELSE s.state END,
                permanent_failures = CASE WHEN s.state IN ('unsubscribed', 'disabled') THEN 0 ELSE s.permanent_failures END,
                confirmation_requested_at = excluded.confirmation_requested_at,
                confirmation_sent_at = CASE WHEN s.state IN ('unsubscribed', 'disabled') THEN NULL ELSE s.confirmation_sent_at END
            RETURNING \(unescaped: Self.subscriberColumns)
            """
        )
        return try Self.decodeSubscriber(rows[0])
    }

    public func subscriber(id: Int64) async throws -> Subscriber? {
        try await firstRow("SELECT \(unescaped: Self.subscriberColumns) FROM subscribers WHERE id = \(id)").map(Self.decodeSubscriber)
    }

    public func subscriber(email: String) async throws -> Subscriber? {
        try await firstRow(
            "SELECT \(unescaped: Self.subscriberColumns) FROM subscribers WHERE email_key = \(email.lowercased())"
        ).map(Self.decodeSubscriber)
    }

    public func subscriber(forUser userID: Int64, email: String) async throws -> Subscriber? {
        if let linked = try await firstRow(
            "SELECT \(unescaped: Self.subscriberColumns) FROM subscribers WHERE user_id = \(userID) ORDER BY id LIMIT 1"
        ) {
            return try Self.decodeSubscriber(linked)
        }
        return try await subscriber(email: email)
    }

    public func markConfirmationSent(subscriberID: Int64, at: Date?) async throws {
        try await execute("UPDATE subscribers SET confirmation_sent_at = \(at.map(Self.timestamp)) WHERE id = \(subscriberID)")
    }

    public func subscribersOwedConfirmation(limit: Int) async throws -> [Subscriber] {
        try await rows(
            """
            SELECT \(unescaped: Self.subscriberColumns) FROM subscribers
            WHERE state = 'pending' AND confirmation_sent_at IS NULL ORDER BY id LIMIT \(limit)
            """
        ).map(Self.decodeSubscriber)
    }

    public func confirm(subscriberID: Int64, now: Date) async throws -> Bool {
        try await firstRow(
            """
            UPDATE subscribers SET state = 'confirmed', confirmed_at = \(Self.timestamp(now)), permanent_failures = 0
            WHERE id = \(subscriberID) AND state = 'pending' RETURNING id
            """
        ) != nil
    }

    public func unsubscribe(subscriberID: Int64) async throws -> Bool {
        try await firstRow(
            "UPDATE subscribers SET state = 'unsubscribed' WHERE id = \(subscriberID) AND state != 'unsubscribed' RETURNING id"
        ) != nil
    }

    /// Two statements over the whole list instead of two per address. An address given twice
    /// counts once, as it would one by one: the second copy meets the row the first inserted.
    public func importConfirmedSubscribers(_ emails: [String], now: Date) async throws -> (added: Int, confirmed: Int) {
        let keys = emails.map { $0.lowercased() }
        let stamp = Self.timestamp(now)
        return try await transaction { connection in
            // Ids follow the order of the list.
            let added = try await connection.query(
                """
                INSERT INTO subscribers (email, email_key, state, created_at, confirmed_at)
                SELECT i.email, i.email_key, 'confirmed', \(stamp), \(stamp)
                FROM unnest(\(emails)::text[], \(keys)::text[]) WITH ORDINALITY AS i(email, email_key, n)
                ORDER BY i.n
                ON CONFLICT (email_key) DO NOTHING RETURNING id
                """,
                logger: self.logger
            ).collect().count
            let confirmed = try await connection.query(
                """
                UPDATE subscribers SET state = 'confirmed', confirmed_at = \(stamp), permanent_failures = 0
                WHERE email_key = ANY(\(keys)) AND state != 'confirmed' RETURNING id
                """,
                logger: self.logger
            ).collect().count
            return (added, confirmed)
        }
    }

    public func subscribers(after cursor: Int64?, limit: Int) async throws -> [Subscriber] {
        try await rows(
            "SELECT \(unescaped: Self.subscriberColumns) FROM subscribers WHERE id > \(cursor ?? 0) ORDER BY id LIMIT \(limit)"
        ).map(Self.decodeSubscriber)
    }

    public func subscriberCounts() async throws -> [SubscriberState: Int] {
        var counts: [SubscriberState: Int] = [:]
        for row in try await rows("SELECT state, count(*) FROM subscribers GROUP BY state") {
            if let state = SubscriberState(rawValue: try row[0].decode(String.self)) { counts[state] = try row[1].decode(Int.self) }
        }
        return counts
    }

    private static let subscriberColumns =
        "id, email, user_id, state, created_at, confirmation_sent_at, permanent_failures, last_error"

    private static func decodeSubscriber(_ row: PostgresRandomAccessRow) throws -> Subscriber {
        Subscriber(
            id: try row["id"].decode(Int64.self),
            email: try row["email"].decode(String.self),
            userID: try row["user_id"].decode(Int64?.self),
            state: SubscriberState(rawValue: try row["state"].decode(String.self)) ?? .pending,
            createdAt: try row["created_at"].decode(String.self),
            confirmationSentAt: try row["confirmation_sent_at"].decode(String?.self),
            permanentFailures: try row["permanent_failures"].decode(Int.self),
            lastError: try row["last_error"].decode(String?.self)
        )
    }
}

// The delivery log keeps each message to one send across nodes: enqueueing meets existing rows
// on the primary key, and every state change applies only to a delivery still open (pending,
// sending, retry), so a node that lost the lease cannot reopen one another node finished.
extension PostgresPaperStore: DeliveryStore {
    public func enqueueDigest(date: FeedDay, now: Date) async throws -> Int {
        let stamp = Self.timestamp(now)
        return try await transaction { connection in
            // In id order, so that two nodes enqueueing at once wait on the same first row
            // instead of each holding a row the other needs.
            let added = try await connection.query(
                """
                INSERT INTO digest_deliveries (subscriber_id, digest_date, state, updated_at)
                SELECT id, \(date.description), 'pending', \(stamp) FROM subscribers WHERE state = 'confirmed' ORDER BY id
                ON CONFLICT (subscriber_id, digest_date) DO NOTHING RETURNING 1
                """,
                logger: self.logger
            ).collect().count
            // Readers who left since their delivery was enqueued get nothing.
            try await connection.query(
                """
                UPDATE digest_deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = \(stamp)
                WHERE digest_date = \(date.description) AND state IN ('pending', 'sending', 'retry')
                    AND subscriber_id IN (SELECT id FROM subscribers WHERE state != 'confirmed')
                """,
                logger: self.logger
            )
            return added
        }
    }

    public func dueDeliveries(date: FeedDay, now: Date, limit: Int) async throws -> [DigestDelivery] {
        try await rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM digest_deliveries d JOIN subscribers s ON s.id = d.subscriber_id
            WHERE d.digest_date = \(date.description) AND s.state = 'confirmed' AND (d.state IN ('pending', 'sending')
                OR (d.state = 'retry' AND d.next_attempt_at <= \(now.timeIntervalSince1970)))
            ORDER BY d.subscriber_id LIMIT \(limit)
            """
        ).map(Self.decodeDelivery)
    }

    public func nextRetry(date: FeedDay) async throws -> Date? {
        try await scalar(
            """
            SELECT min(d.next_attempt_at) FROM digest_deliveries d JOIN subscribers s ON s.id = d.subscriber_id
            WHERE d.digest_date = \(date.description) AND d.state = 'retry' AND s.state = 'confirmed'
            """,
            as: Double.self
        ).map { Date(timeIntervalSince1970: $0) }
    }

    public func sentPaperIDs(subscriberIDs: [Int64]) async throws -> [Int64: Set<String>] {
        guard !subscriberIDs.isEmpty else { return [:] }
        var sent: [Int64: Set<String>] = [:]
        for row in try await rows(
            "SELECT subscriber_id, paper_id FROM digest_sent_papers WHERE subscriber_id = ANY(\(subscriberIDs))"
        ) {
            sent[try row[0].decode(Int64.self), default: []].insert(try row[1].decode(String.self))
        }
        return sent
    }

    public func markComposed(_ compositions: [DigestComposition], date: FeedDay, now: Date) async throws {
        guard !compositions.isEmpty else { return }
        try await execute(
            """
            UPDATE digest_deliveries d SET state = 'sending', message_id = c.message_id, paper_ids = c.paper_ids,
                pick_ids = c.pick_ids, updated_at = \(Self.timestamp(now))
            FROM unnest(
                \(compositions.map(\.subscriberID))::bigint[], \(compositions.map(\.messageID))::text[],
                \(compositions.map { JSONList.encode($0.paperIDs) })::text[], \(compositions.map { JSONList.encode($0.pickIDs) })::text[]
            ) AS c(subscriber_id, message_id, paper_ids, pick_ids)
            WHERE d.subscriber_id = c.subscriber_id AND d.digest_date = \(date.description)
                AND d.state IN ('pending', 'sending', 'retry')
            """
        )
    }

    public func markSent(subscriberID: Int64, date: FeedDay, now: Date) async throws {
        try await transaction { connection in
            let sent = try await connection.query(
                """
                UPDATE digest_deliveries SET state = 'sent', attempts = attempts + 1, last_error = NULL,
                    next_attempt_at = NULL, updated_at = \(Self.timestamp(now))
                WHERE subscriber_id = \(subscriberID) AND digest_date = \(date.description)
                    AND state IN ('pending', 'sending', 'retry')
                RETURNING paper_ids, pick_ids
                """,
                logger: self.logger
            ).collect()
            guard let row = sent.first?.makeRandomAccess() else { return }
            // Every paper of the message, trending and picks alike, counts as sent.
            let paperIDs =
                JSONList.decode(try row["paper_ids"].decode(String?.self)) + JSONList.decode(try row["pick_ids"].decode(String?.self))
            try await connection.query(
                """
                INSERT INTO digest_sent_papers (subscriber_id, paper_id, digest_date)
                SELECT \(subscriberID), unnest(\(paperIDs)::text[]), \(date.description)
                ON CONFLICT (subscriber_id, paper_id) DO NOTHING
                """,
                logger: self.logger
            )
            try await connection.query(
                "UPDATE subscribers SET permanent_failures = 0 WHERE id = \(subscriberID) AND permanent_failures > 0",
                logger: self.logger
            )
        }
    }

    public func markSkipped(subscriberID: Int64, date: FeedDay, reason: String, now: Date) async throws {
        try await client.withConnection { connection in
            _ = try await self.moveOpenDelivery(subscriberID, date, to: .skipped, error: reason, nextAttempt: nil, now: now, connection)
        }
    }

    public func markRetry(subscriberID: Int64, date: FeedDay, error: String, nextAttempt: Date, now: Date) async throws {
        try await client.withConnection { connection in
            _ = try await self.moveOpenDelivery(subscriberID, date, to: .retry, error: error, nextAttempt: nextAttempt, now: now, connection)
        }
    }

    public func markFailed(
        subscriberID: Int64,
        date: FeedDay,
        error: String,
        permanent: Bool,
        disableAfter: Int,
        now: Date
    ) async throws -> Bool {
        try await transaction { connection in
            // A refusal reported twice (by a node that lost the lease) counts once.
            let failed = try await self.moveOpenDelivery(subscriberID, date, to: .failed, error: error, nextAttempt: nil, now: now, connection)
            guard failed, permanent else { return false }
            try await connection.query(
                "UPDATE subscribers SET permanent_failures = permanent_failures + 1, last_error = \(error) WHERE id = \(subscriberID)",
                logger: self.logger
            )
            let disabled = try await connection.query(
                """
                UPDATE subscribers SET state = 'disabled'
                WHERE id = \(subscriberID) AND permanent_failures >= \(disableAfter) AND state = 'confirmed' RETURNING id
                """,
                logger: self.logger
            ).collect()
            return !disabled.isEmpty
        }
    }

    /// Moves an open delivery (pending, sending, retry) to `state`; false when there is none:
    /// finished already, or never enqueued.
    private func moveOpenDelivery(
        _ subscriberID: Int64,
        _ date: FeedDay,
        to state: DeliveryState,
        error: String?,
        nextAttempt: Date?,
        now: Date,
        _ connection: PostgresConnection
    ) async throws -> Bool {
        // A skip is a decision, not an attempt; retries and failures are attempts.
        let attempted = state == .skipped ? 0 : 1
        let rows = try await connection.query(
            """
            UPDATE digest_deliveries SET state = \(state.rawValue), attempts = attempts + \(attempted), last_error = \(error),
                next_attempt_at = \(nextAttempt?.timeIntervalSince1970), updated_at = \(Self.timestamp(now))
            WHERE subscriber_id = \(subscriberID) AND digest_date = \(date.description)
                AND state IN ('pending', 'sending', 'retry')
            RETURNING 1
            """,
            logger: logger
        ).collect()
        return !rows.isEmpty
    }

    public func deliveryCounts(date: FeedDay) async throws -> [DeliveryState: Int] {
        var counts: [DeliveryState: Int] = [:]
        for row in try await rows("SELECT state, count(*) FROM digest_deliveries WHERE digest_date = \(date.description) GROUP BY state") {
            if let state = DeliveryState(rawValue: try row[0].decode(String.self)) { counts[state] = try row[1].decode(Int.self) }
        }
        return counts
    }

    public func deliveries(date: FeedDay) async throws -> [DigestDelivery] {
        try await rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM digest_deliveries d JOIN subscribers s ON s.id = d.subscriber_id
            WHERE d.digest_date = \(date.description) ORDER BY d.subscriber_id
            """
        ).map(Self.decodeDelivery)
    }

    private static let deliveryColumns = """
        d.subscriber_id, d.digest_date, d.state, d.attempts, d.message_id, d.paper_ids, d.pick_ids, d.last_error,
        s.email, s.user_id
        """

    private static func decodeDelivery(_ row: PostgresRandomAccessRow) throws -> DigestDelivery {
        DigestDelivery(
            subscriberID: try row["subscriber_id"].decode(Int64.self),
            email: try row["email"].decode(String.self),
            userID: try row["user_id"].decode(Int64?.self),
            date: FeedDay(try row["digest_date"].decode(String.self)) ?? FeedDay(daysSinceEpoch: 0),
            state: DeliveryState(rawValue: try row["state"].decode(String.self)) ?? .pending,
            attempts: try row["attempts"].decode(Int.self),
            messageID: try row["message_id"].decode(String?.self),
            paperIDs: JSONList.decode(try row["paper_ids"].decode(String?.self)),
            pickIDs: JSONList.decode(try row["pick_ids"].decode(String?.self)),
            lastError: try row["last_error"].decode(String?.self)
        )
    }
}

extension PostgresPaperStore: LeaseStore {
    /// Of nodes asking at once, exactly one takes the lease: the upsert locks the lease's row
    /// whether or not it changes it, so the holder read next in the same transaction is the
    /// one the condition was decided on.
    public func acquireLease(name: String, holder: String, until: Date, now: Date, stealFrom: String?) async throws -> String {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO leases AS l (name, holder, expires_at) VALUES (\(name), \(holder), \(until.timeIntervalSince1970))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE l.holder = excluded.holder OR l.expires_at < \(now.timeIntervalSince1970) OR l.holder = \(stealFrom)
                """,
                logger: self.logger
            )
            let rows = try await connection.query("SELECT holder FROM leases WHERE name = \(name)", logger: self.logger).collect()
            return try rows.first?.makeRandomAccess()[0].decode(String.self) ?? ""
        }
    }

    public func releaseLease(name: String, holder: String) async throws {
        try await execute("DELETE FROM leases WHERE name = \(name) AND holder = \(holder)")
    }
}

extension PostgresPaperStore: SecretStore {
    /// Two nodes asking at once keep one secret: the second insert waits for the first and
    /// does nothing, and both read the stored value.
    public func instanceSecret(named name: String) async throws -> String {
        let fresh = random.hex(32)
        return try await transaction { connection in
            try await connection.query(
                "INSERT INTO instance_settings (key, value) VALUES (\(name), \(fresh)) ON CONFLICT (key) DO NOTHING",
                logger: self.logger
            )
            let rows = try await connection.query("SELECT value FROM instance_settings WHERE key = \(name)", logger: self.logger).collect()
            return try rows.first?.makeRandomAccess()[0].decode(String.self) ?? fresh
        }
    }
}
