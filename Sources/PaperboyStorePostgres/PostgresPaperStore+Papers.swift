import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: PaperStore {
    // MARK: - Writes

    public func importFeedDay(_ day: FeedDay, entries: [DailyEntry]) async throws -> ImportCounts {
        // The outcomes come out of the transaction and are counted here: counted inside the
        // closure, the release build (Swift 6.3.1, -O) returned garbage in `updated`.
        let (paperOutcomes, entryOutcomes) = try await transaction { connection in
            let revision = try await self.nextRevision(connection)
            let incoming = entries.map { StoredPaper(paper: $0.paper, upvotesDay: day) }
            let paperOutcomes = try await self.mergePapers(incoming, revision: revision, on: connection) { stored, paper in
                // An older capture never overwrites what a newer day taught us.
                if let storedDay = stored.upvotesDay, storedDay > day { return nil }
                let merged = stored.paper.merging(feedCapture: paper)
                if merged == stored.paper && stored.upvotesDay == day { return nil }
                return StoredPaper(paper: merged, upvotesDay: day)
            }
            let entryOutcomes = try await self.mergeEntries(entries, on: connection)
            return (paperOutcomes, entryOutcomes)
        }
        return ImportCounts(feedDay: zip(paperOutcomes, entryOutcomes).map { (paper: $0, entry: $1) })
    }

    public func importArxivPapers(_ papers: [Paper]) async throws -> ImportCounts {
        try await transaction { connection in try await self.mergeListedPapers(papers, on: connection) }
    }

    /// Listing records merged into the store under one new revision (none when empty).
    func mergeListedPapers(_ papers: [Paper], on connection: PostgresConnection) async throws -> ImportCounts {
        var counts = ImportCounts()
        guard !papers.isEmpty else { return counts }
        let revision = try await nextRevision(connection)
        let incoming = papers.map { StoredPaper(paper: $0, upvotesDay: nil) }
        let outcomes = try await mergePapers(incoming, revision: revision, on: connection) { stored, listing in
            let merged = stored.paper.merging(arxivListing: listing)
            return merged == stored.paper ? nil : StoredPaper(paper: merged, upvotesDay: stored.upvotesDay)
        }
        for outcome in outcomes {
            counts.papers += 1
            switch outcome {
            case .inserted: counts.new += 1
            case .updated: counts.updated += 1
            case .unchanged: break
            }
        }
        return counts
    }

    /// Writes incoming papers as SQLite does one after another — a new paper is stored as it
    /// comes, a known one becomes what `merge` makes of it (nil: nothing to write) — in a few
    /// statements per batch. Returns each incoming paper's outcome, in order.
    func mergePapers(
        _ incoming: [StoredPaper],
        revision: Int,
        on connection: PostgresConnection,
        merge: (StoredPaper, Paper) -> StoredPaper?
    ) async throws -> [UpsertOutcome] {
        var firsts: [String: StoredPaper] = [:]
        for candidate in incoming where firsts[candidate.paper.id] == nil { firsts[candidate.paper.id] = candidate }
        var (current, awaitingInsertOutcome) = try await insertOrLock(firsts, revision: revision, on: connection)
        var outcomes: [UpsertOutcome] = []
        var changed: Set<String> = []
        var retexted: Set<String> = []
        for candidate in incoming {
            let id = candidate.paper.id
            if awaitingInsertOutcome.remove(id) != nil {
                outcomes.append(.inserted)
                continue
            }
            guard let stored = current[id] else { throw PaperVanished(id: id) }
            guard let next = merge(stored, candidate.paper) else {
                outcomes.append(.unchanged)
                continue
            }
            if next.paper.title != stored.paper.title || next.paper.summary != stored.paper.summary { retexted.insert(id) }
            current[id] = next
            changed.insert(id)
            outcomes.append(next.paper == stored.paper ? .unchanged : .updated)
        }
        try await PostgresPaperRow.update(changed.sorted().compactMap { current[$0] }, revision: revision, on: connection, logger: logger)
        if !retexted.isEmpty {
            // An embedding of text that changed no longer describes the paper: recomputed later.
            // Locked in id order first, the order `saveEmbeddings` writes in, or the two could
            // deadlock.
            try await connection.query(
                """
                DELETE FROM paper_embeddings WHERE paper_id IN (
                    SELECT paper_id FROM paper_embeddings WHERE paper_id = ANY(\(Array(retexted))) ORDER BY paper_id FOR UPDATE)
                """,
                logger: logger
            )
        }
        return outcomes
    }

    /// Stores the papers that are new and locks the known ones: new ones are inserted first
    /// and known ones locked after, each in id order, so two nodes importing the same papers
    /// wait for each other instead of both inserting one or deadlocking. Returns every paper
    /// as stored now, and the ids this transaction inserted.
    private func insertOrLock(
        _ papers: [String: StoredPaper],
        revision: Int,
        on connection: PostgresConnection
    ) async throws -> (current: [String: StoredPaper], inserted: Set<String>) {
        // Papers known already are not sent to be inserted, or a re-import would send the
        // batch twice. (One stored meanwhile by another node still meets ON CONFLICT.)
        var known: Set<String> = []
        let ids = Array(papers.keys)
        for try await id in try await connection.query("SELECT id FROM papers WHERE id = ANY(\(ids))", logger: logger).decode(String.self) {
            known.insert(id)
        }
        let new = papers.values.filter { !known.contains($0.paper.id) }.sorted { $0.paper.id < $1.paper.id }
        let inserted = try await PostgresPaperRow.insertNew(new, revision: revision, on: connection, logger: logger)
        var current: [String: StoredPaper] = [:]
        for var stored in new where inserted.contains(stored.paper.id) {
            // As a read would find it: local votes live in the upvote table, none yet.
            stored.paper.localUpvotes = 0
            current[stored.paper.id] = stored
        }
        let locked = try await PostgresPaperRow.lock(ids: ids.filter { !inserted.contains($0) }, on: connection, logger: logger)
        for stored in locked { current[stored.paper.id] = stored }
        return (current, inserted)
    }

    /// Stores feed entries as SQLite does one after another: the same capture again is left
    /// alone (its raw item compared as JSON), anything else inserted or replaced. Returns each
    /// entry's outcome, in order.
    func mergeEntries(_ entries: [DailyEntry], on connection: PostgresConnection) async throws -> [UpsertOutcome] {
        struct Key: Hashable, Comparable {
            var day: String
            var paperID: String
            static func < (lhs: Key, rhs: Key) -> Bool { (lhs.day, lhs.paperID) < (rhs.day, rhs.paperID) }
        }
        struct Captured {
            var upvotes: Int
            var numComments: Int
            var rawJSON: String?
            var position: Int?
        }
        guard !entries.isEmpty else { return [] }
        let days = entries.map(\.day.description)
        let paperIDs = entries.map(\.paper.id)
        var stored: [Key: Captured] = [:]
        let rows = try await connection.query(
            """
            SELECT day, paper_id, upvotes, num_comments, raw_json, position FROM daily_entries
            WHERE (day, paper_id) IN (SELECT * FROM unnest(\(days)::text[], \(paperIDs)::text[]))
            ORDER BY day, paper_id FOR NO KEY UPDATE
            """,
            logger: logger
        ).collect()
        for row in rows.map({ $0.makeRandomAccess() }) {
            let key = Key(day: try row["day"].decode(String.self), paperID: try row["paper_id"].decode(String.self))
            stored[key] = Captured(
                upvotes: try row["upvotes"].decode(Int.self),
                numComments: try row["num_comments"].decode(Int.self),
                rawJSON: try row["raw_json"].decode(String?.self),
                position: try row["position"].decode(Int?.self)
            )
        }
        var outcomes: [UpsertOutcome] = []
        var written: [Key: DailyEntry] = [:]
        for entry in entries {
            let key = Key(day: entry.day.description, paperID: entry.paper.id)
            let rawJSON = RawItemText.encode(entry.rawItem)
            let before = stored[key]
            // The same capture again: nothing to write.
            if let before, before.upvotes == entry.upvotes, before.numComments == entry.numComments,
                before.position == entry.position, RawItemText.sameValue(before.rawJSON, rawJSON)
            {
                outcomes.append(.unchanged)
                continue
            }
            stored[key] = Captured(upvotes: entry.upvotes, numComments: entry.numComments, rawJSON: rawJSON, position: entry.position)
            written[key] = entry
            outcomes.append(before == nil ? .inserted : .updated)
        }
        let ordered = written.keys.sorted().compactMap { written[$0] }
        try await PostgresPaperRow.upsertEntries(ordered, on: connection, logger: logger)
        return outcomes
    }

    // MARK: - Reads

    public func paper(id: String) async throws -> Paper? {
        try await firstRow("SELECT * FROM papers WHERE id = \(id)").map(PostgresPaperRow.decode)
    }

    public func papers(ids: [String]) async throws -> [Paper] {
        guard !ids.isEmpty else { return [] }
        let found = try await rows("SELECT * FROM papers WHERE id = ANY(\(ids)) AND hidden_at IS NULL").map(PostgresPaperRow.decode)
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    public func featuredDays(of paperID: String) async throws -> [FeedDay] {
        try await rows("SELECT day FROM daily_entries WHERE paper_id = \(paperID) AND hidden_at IS NULL ORDER BY day")
            .compactMap { FeedDay(try $0["day"].decode(String.self)) }
    }

    public func feedEntries(_ query: FeedQuery) async throws -> [DailyEntry] {
        var binds = PostgresBindings()
        func placeholder(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions = ["e.hidden_at IS NULL"]
        if let days = query.days {
            conditions.append("e.day BETWEEN \(placeholder(days.lowerBound.description)) AND \(placeholder(days.upperBound.description))")
        }
        if let submitter = query.submitter {
            conditions.append("e.submitter_name = \(placeholder(submitter))")
        }
        let filter = "WHERE " + conditions.joined(separator: " AND ")
        // Ranked as on SQLite: a captured entry by the upvotes captured for its day plus local
        // votes, then by its place in the capture; an entry made here by its paper's upvotes.
        let upvotes = "(CASE WHEN e.position IS NULL THEN p.upvotes ELSE e.upvotes END) + p.local_upvotes DESC"
        let capture = "COALESCE(e.position, 2147483647), p.id"
        let order =
            switch query.order {
            case .upvotes: "\(upvotes), e.day DESC, \(capture)"
            case .newest: "e.day DESC, \(upvotes), \(capture)"
            }
        // The inner query keeps one entry per paper: its latest shown day in the range.
        let sql = """
            SELECT p.*, e.day, e.submitted_at, e.submitter_name, e.submitter_fullname,
                e.submitter_avatar, e.upvotes AS entry_upvotes, e.num_comments, e.thumbnail,
                e.raw_json, e.position
            FROM (
                SELECT paper_id, MAX(day) AS latest_day FROM daily_entries e \(filter)
                GROUP BY paper_id
            ) latest
            JOIN daily_entries e ON e.paper_id = latest.paper_id AND e.day = latest.latest_day
            JOIN papers p ON p.id = e.paper_id
            WHERE p.hidden_at IS NULL
            ORDER BY \(order)
            LIMIT \(placeholder(query.limit)) OFFSET \(placeholder(query.offset))
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(PostgresPaperRow.decodeEntry)
    }

    public func hasImportedSubmitter(named name: String) async throws -> Bool {
        try await firstRow(
            "SELECT 1 FROM daily_entries WHERE raw_json IS NOT NULL AND lower(submitter_name) = lower(\(name)) LIMIT 1"
        ) != nil
    }

    public func papers(ofOrganization name: String, limit: Int) async throws -> [Paper] {
        let ids = try await rows(
            """
            SELECT id FROM papers WHERE organization_name = \(name) AND hidden_at IS NULL
            ORDER BY published_at DESC NULLS LAST, id DESC LIMIT \(limit)
            """
        ).map { try $0["id"].decode(String.self) }
        return try await papers(ids: ids)
    }

    public func latestFeedDay() async throws -> FeedDay? {
        try await scalar(
            "SELECT day FROM daily_entries e WHERE \(unescaped: Self.shownEntry) ORDER BY day DESC LIMIT 1",
            as: String.self
        ).flatMap { FeedDay($0) }
    }

    public func neighbours(of days: ClosedRange<FeedDay>) async throws -> FeedNeighbours {
        let before = try await scalar(
            """
            SELECT day FROM daily_entries e WHERE day < \(days.lowerBound.description) AND \(unescaped: Self.shownEntry)
            ORDER BY day DESC LIMIT 1
            """,
            as: String.self
        )
        let after = try await scalar(
            """
            SELECT day FROM daily_entries e WHERE day > \(days.upperBound.description) AND \(unescaped: Self.shownEntry)
            ORDER BY day LIMIT 1
            """,
            as: String.self
        )
        return FeedNeighbours(before: before.flatMap { FeedDay($0) }, after: after.flatMap { FeedDay($0) })
    }

    /// A condition on `daily_entries e`: the entry and its paper are not hidden by an editor.
    static let shownEntry = """
        e.hidden_at IS NULL AND NOT EXISTS (SELECT 1 FROM papers p WHERE p.id = e.paper_id AND p.hidden_at IS NOT NULL)
        """

    public func papers(after cursor: String?, limit: Int) async throws -> [Paper] {
        try await rows("SELECT * FROM papers WHERE id > \(cursor ?? "") AND hidden_at IS NULL ORDER BY id LIMIT \(limit)")
            .map(PostgresPaperRow.decode)
    }

    public func statistics() async throws -> StoreStatistics {
        guard
            let row = try await firstRow(
                """
                SELECT (SELECT count(*) FROM papers) AS papers,
                    (SELECT count(DISTINCT day) FROM daily_entries) AS days,
                    (SELECT count(*) FROM daily_entries) AS entries
                """
            )
        else { return StoreStatistics(papers: 0, feedDays: 0, entries: 0) }
        return StoreStatistics(
            papers: try row["papers"].decode(Int.self),
            feedDays: try row["days"].decode(Int.self),
            entries: try row["entries"].decode(Int.self)
        )
    }

    public func storageSize() async throws -> Int {
        try await scalar("SELECT pg_database_size(current_database())", as: Int.self) ?? 0
    }

    // MARK: - Search support

    /// Only papers whose revision is below the horizon: every transaction with a lower id has
    /// finished, so a transaction that commits after this read can only stamp revisions above
    /// the last one returned, and an index that resumes from there misses nothing.
    public func papers(after position: RevisionPosition, limit: Int) async throws -> [RevisedPaper] {
        let query: PostgresQuery =
            if let id = position.id {
                """
                SELECT * FROM papers WHERE revision < (SELECT paperboy_horizon())
                    AND (revision, id) > (\(position.revision), \(id))
                ORDER BY revision, id LIMIT \(limit)
                """
            } else {
                """
                SELECT * FROM papers WHERE revision < (SELECT paperboy_horizon()) AND revision > \(position.revision)
                ORDER BY revision, id LIMIT \(limit)
                """
            }
        return try await rows(query).map { RevisedPaper(paper: try PostgresPaperRow.decode($0), revision: try $0["revision"].decode(Int.self)) }
    }

    public func papersWithoutEmbedding(model: String, limit: Int) async throws -> [Paper] {
        try await rows(
            """
            SELECT p.* FROM papers p
            WHERE NOT EXISTS (
                SELECT 1 FROM paper_embeddings e WHERE e.paper_id = p.id AND e.model = \(model) AND e.passages IS NOT NULL)
            ORDER BY p.id LIMIT \(limit)
            """
        ).map(PostgresPaperRow.decode)
    }

    public func saveEmbeddings(_ embeddings: [PaperEmbedding], model: String) async throws {
        // One row per paper, the last given winning as it would one by one; written in id order.
        var latest: [String: PaperEmbedding] = [:]
        for embedding in embeddings { latest[embedding.paperID] = embedding }
        let ordered = latest.keys.sorted().compactMap { latest[$0] }
        guard !ordered.isEmpty else { return }
        try await transaction { connection in
            for chunk in ordered.chunks(of: PostgresPaperRow.rowsPerStatement) {
                var binds = PostgresBindings(capacity: chunk.count * 4)
                for embedding in chunk {
                    binds.append(embedding.paperID)
                    binds.append(model)
                    try binds.append(VectorBlob.encode(embedding.vector))
                    try binds.append(embedding.passages.map(PassageBlob.encode))
                }
                let columns = [("paper_id", "text"), ("model", "text"), ("vector", "bytea"), ("passages", "bytea")]
                let sql = """
                    INSERT INTO paper_embeddings (paper_id, model, vector, passages)
                    VALUES \(PostgresPaperRow.valuesList(rows: chunk.count, columns: columns))
                    ON CONFLICT (paper_id) DO UPDATE SET model = EXCLUDED.model, vector = EXCLUDED.vector,
                        passages = EXCLUDED.passages
                    """
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            }
        }
    }

    public func embeddings(model: String, after cursor: String?, limit: Int) async throws -> [PaperEmbedding] {
        try await rows(
            """
            SELECT paper_id, vector, passages FROM paper_embeddings
            WHERE model = \(model) AND paper_id > \(cursor ?? "") ORDER BY paper_id LIMIT \(limit)
            """
        ).map { row in
            let vector = VectorBlob.decode(try row["vector"].decode(Data.self))
            let passages = try row["passages"].decode(Data?.self).map { PassageBlob.decode($0, dimension: vector.count) }
            return PaperEmbedding(paperID: try row["paper_id"].decode(String.self), vector: vector, passages: passages)
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await scalar("SELECT count(*) FROM paper_embeddings WHERE model = \(model) AND passages IS NOT NULL", as: Int.self) ?? 0
    }

    public func deleteEmbeddings(model: String) async throws {
        // Locked in id order first, as `saveEmbeddings` writes.
        try await execute(
            """
            DELETE FROM paper_embeddings WHERE paper_id IN (
                SELECT paper_id FROM paper_embeddings WHERE model = \(model) ORDER BY paper_id FOR UPDATE)
            """
        )
    }
}

/// A paper that was there when inserting it conflicted, and gone when locking it: deleted
/// meanwhile, which nothing in this store does.
struct PaperVanished: Error, CustomStringConvertible {
    var id: String
    var description: String { "paper \(id) was deleted while being written" }
}
