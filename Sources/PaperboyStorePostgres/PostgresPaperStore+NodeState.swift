import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// What nodes share beyond the data: rate-limit buckets and embedding claims.
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

    public func reportTokens(
        policy: String,
        takes: [(key: String, count: Int)],
        quota: Int,
        window: Double,
        now: Double
    ) async throws
        -> [String: Double]
    {
        guard !takes.isEmpty else { return [:] }
        let quota = Double(quota)
        let rate = quota / window
        let keys = takes.map(\.key)
        let counts = takes.map { Double($0.count) }
        // A new bucket starts full less the count; the count of an existing one is quota less
        // what the new row would have held (`excluded.tokens`).
        let rows = try await self.rows(
            """
            INSERT INTO rate_limit_buckets AS b (policy, key, tokens, updated_at, taken)
            SELECT \(policy), t.key, greatest(-\(quota), \(quota) - t.count), \(now), t.count <= \(quota)
            FROM unnest(\(keys)::text[], \(counts)::float8[]) AS t(key, count)
            ON CONFLICT (policy, key) DO UPDATE SET
                tokens = greatest(-\(quota),
                    least(\(quota), b.tokens + greatest(0, \(now) - b.updated_at) * \(rate)) - (\(quota) - excluded.tokens)),
                updated_at = greatest(b.updated_at, \(now))
            RETURNING key, tokens
            """
        )
        var tokens: [String: Double] = [:]
        for row in rows { tokens[try row["key"].decode(String.self)] = try row["tokens"].decode(Double.self) }
        return tokens
    }
}

extension PostgresPaperStore: EmbeddingClaims {
    /// Candidates are locked with SKIP LOCKED, so nodes claiming at the same moment take
    /// different papers instead of waiting for each other; the claim rows outlive the
    /// transaction and keep the papers from other nodes until they expire.
    public func claimPapersWithoutEmbedding(model: String, limit: Int, holder: String, until: Date, now: Date) async throws -> [Paper] {
        let now = now.timeIntervalSince1970
        let expires = until.timeIntervalSince1970
        let rows = try await transaction { connection in
            try await connection.query(
                """
                WITH candidates AS (
                    SELECT p.id FROM papers p
                    WHERE NOT EXISTS (
                            SELECT 1 FROM paper_embeddings e
                            WHERE e.paper_id = p.id AND e.model = \(model) AND e.passages IS NOT NULL)
                        AND NOT EXISTS (
                            SELECT 1 FROM embedding_claims c
                            WHERE c.paper_id = p.id AND c.expires_at > \(now) AND c.holder <> \(holder))
                    ORDER BY p.id
                    LIMIT \(limit)
                    FOR UPDATE OF p SKIP LOCKED
                ), claimed AS (
                    INSERT INTO embedding_claims (paper_id, holder, expires_at)
                    SELECT id, \(holder), \(expires) FROM candidates
                    ON CONFLICT (paper_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    RETURNING paper_id
                )
                SELECT p.* FROM papers p JOIN claimed c ON c.paper_id = p.id ORDER BY p.id
                """,
                logger: logger
            ).collect()
        }
        return try rows.map { try PostgresPaperRow.decode($0.makeRandomAccess()) }
    }
}

extension PostgresPaperStore: SearchIndexSource {
    public func storeIdentity() async throws -> String {
        "postgres-\(try await scalar("SELECT id FROM store_identity LIMIT 1", as: String.self) ?? "")"
    }

    /// Paper and embedding revisions are both transaction ids: everything below the horizon
    /// has committed or never will.
    public func latestRevisions() async throws -> (papers: Int, embeddings: Int) {
        let latest = try await embeddingPosition().revision
        return (latest, latest)
    }

    public func embeddingPosition() async throws -> RevisionPosition {
        RevisionPosition(revision: (try await scalar("SELECT paperboy_horizon() - 1", as: Int.self)) ?? 0)
    }

    public func embeddings(
        model: String,
        after position: RevisionPosition,
        limit: Int
    ) async throws -> (embeddings: [PaperEmbedding], position: RevisionPosition) {
        let after: PostgresQuery =
            if let id = position.id {
                """
                SELECT paper_id, vector, passages, revision FROM paper_embeddings
                WHERE model = \(model) AND (revision, paper_id) > (\(position.revision), \(id))
                    AND revision < paperboy_horizon()
                ORDER BY revision, paper_id LIMIT \(limit)
                """
            } else {
                """
                SELECT paper_id, vector, passages, revision FROM paper_embeddings
                WHERE model = \(model) AND revision > \(position.revision) AND revision < paperboy_horizon()
                ORDER BY revision, paper_id LIMIT \(limit)
                """
            }
        var last = position
        let embeddings = try await rows(after).map { row in
            let id = try row["paper_id"].decode(String.self)
            let vector = VectorBlob.decode(try row["vector"].decode(Data.self))
            let passages = try row["passages"].decode(Data?.self).map { PassageBlob.decode($0, dimension: vector.count) }
            last = RevisionPosition(revision: try row["revision"].decode(Int.self), id: id)
            return PaperEmbedding(paperID: id, vector: vector, passages: passages)
        }
        return (embeddings, last)
    }
}
