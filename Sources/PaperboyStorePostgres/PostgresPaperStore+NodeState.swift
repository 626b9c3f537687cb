import Foundation
import PaperboyStore
import PostgresNIO

/// What nodes share beyond the data: rate-limit buckets.
extension PostgresPaperStore: SharedRateLimits {
    /// One statement, so two nodes taking from the same bucket at once queue on its row and
    /// each sees the other's take. The table is UNLOGGED: buckets need no crash safety, and a
    /// take then costs no WAL flush.
    public func takeToken(policy: String, key: String, quota: Int, window: Double, now: Double) async throws -> (taken: Bool, remaining: Double) {
        let quota = Double(quota)
        let rate = quota / window
        let row = try await firstRow(
            """
            INSERT INTO rate_limit_buckets AS b (policy, key, tokens, updated_at, taken)
            VALUES (\(policy), \(key), \(quota) - 1, \(now), TRUE)
            ON CONFLICT (policy, key) DO UPDATE SET
                tokens = CASE
                    WHEN least(\(quota), b.tokens + greatest(0, \(now) - b.updated_at) * \(rate)) >= 1
                    THEN least(\(quota), b.tokens + greatest(0, \(now) - b.updated_at) * \(rate)) - 1
                    ELSE least(\(quota), b.tokens + greatest(0, \(now) - b.updated_at) * \(rate)) END,
                taken = least(\(quota), b.tokens + greatest(0, \(now) - b.updated_at) * \(rate)) >= 1,
                updated_at = greatest(b.updated_at, \(now))
            RETURNING taken, tokens
            """
        )
        guard let row else { return (true, quota - 1) }
        // Buckets idle for a day are full again: forgetting them changes nothing. Swept now
        // and then, by whichever node draws it.
        if UInt8.random(in: 0...255) == 0 {
            try await execute("DELETE FROM rate_limit_buckets WHERE updated_at < \(now - 86_400)")
        }
        return (try row["taken"].decode(Bool.self), try row["tokens"].decode(Double.self))
    }
}
