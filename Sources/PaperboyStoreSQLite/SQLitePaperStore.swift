import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

/// The default store: one SQLite file in WAL mode, through GRDB.
public final class SQLitePaperStore: PaperStore {
    let pool: DatabasePool
    /// Stamps rows the store dates itself (accounts, votes, tokens); callers pass `now` elsewhere.
    let clock: any WallClock
    /// Where instance secrets come from.
    let random: any RandomSource

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, clock: any WallClock = SystemClock(), random: any RandomSource = SystemRandomSource()) throws {
        self.clock = clock
        self.random = random
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        } catch let error as CocoaError {
            throw StoreError.cannotOpen(path: path, reason: error.localizedDescription)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    // MARK: - Writes

    public func importFeedDay(_ day: FeedDay, entries: [DailyEntry]) async throws -> ImportCounts {
        let outcomes = try await pool.write { db in
            let revision = try Self.nextRevision(db)
            return try entries.map { entry in
                (
                    paper: try Self.upsertFeedPaper(entry.paper, day: day, revision: revision, db: db),
                    entry: try Self.upsertEntry(entry, db: db)
                )
            }
        }
        return ImportCounts(feedDay: outcomes)
    }

    public func importArxivPapers(_ papers: [Paper]) async throws -> ImportCounts {
        try await pool.write { db in try Self.upsertListedPapers(papers, db: db) }
    }

    /// Listing records merged into the store under one new revision (none when empty).
    static func upsertListedPapers(_ papers: [Paper], db: Database) throws -> ImportCounts {
        var counts = ImportCounts()
        guard !papers.isEmpty else { return counts }
        let revision = try nextRevision(db)
        for paper in papers {
            counts.papers += 1
            switch try upsertListedPaper(paper, revision: revision, db: db) {
            case .inserted: counts.new += 1
            case .updated: counts.updated += 1
            case .unchanged: break
            }
        }
        return counts
    }

    static func upsertFeedPaper(_ paper: Paper, day: FeedDay, revision: Int, db: Database) throws -> UpsertOutcome {
        guard let (stored, storedDay) = try fetchPaperForUpdate(id: paper.id, db: db) else {
            try PaperRow.insert(paper, upvotesDay: day, revision: revision, db: db)
            return .inserted
        }
        // An older capture never overwrites what a newer day taught us.
        if let storedDay, storedDay > day { return .unchanged }
        let merged = stored.merging(feedCapture: paper)
        if merged == stored && storedDay == day { return .unchanged }
        try write(merged, replacing: stored, upvotesDay: day, revision: revision, db: db)
        return merged == stored ? .unchanged : .updated
    }

    static func upsertListedPaper(_ paper: Paper, revision: Int, db: Database) throws -> UpsertOutcome {
        guard let (stored, storedDay) = try fetchPaperForUpdate(id: paper.id, db: db) else {
            try PaperRow.insert(paper, upvotesDay: nil, revision: revision, db: db)
            return .inserted
        }
        let merged = stored.merging(arxivListing: paper)
        if merged == stored { return .unchanged }
        try write(merged, replacing: stored, upvotesDay: storedDay, revision: revision, db: db)
        return .updated
    }

    /// Updates a paper; an embedding of text that changed is dropped so it gets recomputed.
    static func write(_ paper: Paper, replacing stored: Paper, upvotesDay: FeedDay?, revision: Int, db: Database) throws {
        try PaperRow.update(paper, upvotesDay: upvotesDay, revision: revision, db: db)
        if paper.title != stored.title || paper.summary != stored.summary {
            try db.cachedStatement(sql: "DELETE FROM paper_embeddings WHERE paper_id = ?").execute(arguments: [paper.id])
        }
    }

    static func upsertEntry(_ entry: DailyEntry, db: Database) throws -> UpsertOutcome {
        let day = entry.day.description
        let rawJSON = RawItemText.encode(entry.rawItem)
        let existing = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT upvotes, num_comments, raw_json, position FROM daily_entries WHERE day = ? AND paper_id = ?"
            ),
            arguments: [day, entry.paper.id]
        )
        let arguments: StatementArguments = [
            day, entry.paper.id, entry.submittedAt, entry.submitter?.name,
            entry.submitter?.fullname, entry.submitter?.avatarURL, entry.upvotes,
            entry.numComments, entry.thumbnail, rawJSON, entry.position,
        ]
        if let existing {
            // The same capture again: nothing to write. (A database from before migration 007
            // lacks the raw item, so re-importing its captures fills it in.)
            let unchanged =
                existing["upvotes"] as Int == entry.upvotes
                && existing["num_comments"] as Int == entry.numComments
                && existing["position"] as Int? == entry.position
                && RawItemText.sameValue(existing["raw_json"], rawJSON)
            if unchanged { return .unchanged }
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO daily_entries (day, paper_id, submitted_at, submitter_name,
                    submitter_fullname, submitter_avatar, upvotes, num_comments, thumbnail,
                    raw_json, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (day, paper_id) DO UPDATE SET
                    submitted_at = excluded.submitted_at, submitter_name = excluded.submitter_name,
                    submitter_fullname = excluded.submitter_fullname,
                    submitter_avatar = excluded.submitter_avatar, upvotes = excluded.upvotes,
                    num_comments = excluded.num_comments, thumbnail = excluded.thumbnail,
                    raw_json = excluded.raw_json, position = excluded.position
                """
        ).execute(arguments: arguments)
        return existing == nil ? .inserted : .updated
    }

    static func fetchPaperForUpdate(id: String, db: Database) throws -> (Paper, FeedDay?)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM papers WHERE id = ?"),
                arguments: [id]
            )
        else { return nil }
        let upvotesDay: String? = row["upvotes_day"]
        return (try PaperRow.decode(row), upvotesDay.flatMap { FeedDay($0) })
    }

    /// Bumps the change counter; its new value is the revision stamped on what this write touches.
    static func nextRevision(_ db: Database) throws -> Int {
        try db.execute(sql: "UPDATE store_meta SET value = value + 1 WHERE key = 'change_counter'")
        return try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'change_counter'") ?? 0
    }

    // MARK: - Reads

    public func paper(id: String) async throws -> Paper? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM papers WHERE id = ?", arguments: [id])
                .map(PaperRow.decode)
        }
    }

    public func papers(ids: [String]) async throws -> [Paper] {
        guard !ids.isEmpty else { return [] }
        let found = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM papers WHERE id IN (\(databaseQuestionMarks(count: ids.count))) AND hidden_at IS NULL",
                arguments: StatementArguments(ids)
            ).map(PaperRow.decode)
        }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    public func featuredDays(of paperID: String) async throws -> [FeedDay] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT day FROM daily_entries WHERE paper_id = ? AND hidden_at IS NULL ORDER BY day",
                arguments: [paperID]
            ).compactMap { FeedDay($0) }
        }
    }

    public func feedEntries(_ query: FeedQuery) async throws -> [DailyEntry] {
        var conditions = ["e.hidden_at IS NULL"]
        var arguments: StatementArguments = []
        if let days = query.days {
            conditions.append("e.day BETWEEN ? AND ?")
            arguments += [days.lowerBound.description, days.upperBound.description]
        }
        if let submitter = query.submitter {
            conditions.append("e.submitter_name = ?")
            arguments += [submitter]
        }
        let filter = "WHERE " + conditions.joined(separator: " AND ")
        // A captured entry ranks by the upvotes captured for its day (the order of that day's
        // capture) plus local votes, then by its place in the capture, so papers with equal
        // upvotes keep the source's order. Entries made here (no position) rank by the paper's
        // upvotes, as their cards show, after captured entries with as many.
        let upvotes = "(CASE WHEN e.position IS NULL THEN p.upvotes ELSE e.upvotes END) + p.local_upvotes DESC"
        let capture = "COALESCE(e.position, 2147483647), p.id"
        let order =
            switch query.order {
            case .upvotes: "\(upvotes), e.day DESC, \(capture)"
            case .newest: "e.day DESC, \(upvotes), \(capture)"
            }
        arguments += [query.limit, query.offset]
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
            LIMIT ? OFFSET ?
            """
        let boundArguments = arguments
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: boundArguments).map(PaperRow.decodeEntry)
        }
    }

    public func hasImportedSubmitter(named name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM daily_entries WHERE raw_json IS NOT NULL AND lower(submitter_name) = lower(?) LIMIT 1",
                arguments: [name]
            ) ?? false
        }
    }

    public func papers(ofOrganization name: String, limit: Int) async throws -> [Paper] {
        let ids = try await pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM papers WHERE organization_name = ? AND hidden_at IS NULL
                    ORDER BY published_at DESC, id DESC LIMIT ?
                    """,
                arguments: [name, limit]
            )
        }
        return try await papers(ids: ids)
    }

    public func latestFeedDay() async throws -> FeedDay? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT day FROM daily_entries e WHERE \(Self.shownEntry) ORDER BY day DESC LIMIT 1")
                .flatMap { FeedDay($0) }
        }
    }

    public func neighbours(of days: ClosedRange<FeedDay>) async throws -> FeedNeighbours {
        try await pool.read { db in
            let before = try String.fetchOne(
                db,
                sql: "SELECT day FROM daily_entries e WHERE day < ? AND \(Self.shownEntry) ORDER BY day DESC LIMIT 1",
                arguments: [days.lowerBound.description]
            )
            let after = try String.fetchOne(
                db,
                sql: "SELECT day FROM daily_entries e WHERE day > ? AND \(Self.shownEntry) ORDER BY day LIMIT 1",
                arguments: [days.upperBound.description]
            )
            return FeedNeighbours(before: before.flatMap { FeedDay($0) }, after: after.flatMap { FeedDay($0) })
        }
    }

    /// A condition on `daily_entries e`: the entry and its paper are not hidden by an editor.
    /// Walking the (day, paper) key in order and stopping at the first such entry keeps
    /// "latest day" and "neighbours" as cheap as MAX/MIN were.
    static let shownEntry = """
        e.hidden_at IS NULL AND NOT EXISTS (SELECT 1 FROM papers p WHERE p.id = e.paper_id AND p.hidden_at IS NOT NULL)
        """

    public func papers(after cursor: String?, limit: Int) async throws -> [Paper] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM papers WHERE id > ? AND hidden_at IS NULL ORDER BY id LIMIT ?",
                arguments: [cursor ?? "", limit]
            ).map(PaperRow.decode)
        }
    }

    public func statistics() async throws -> StoreStatistics {
        try await pool.read { db in
            StoreStatistics(
                papers: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM papers") ?? 0,
                feedDays: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT day) FROM daily_entries") ?? 0,
                entries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM daily_entries") ?? 0
            )
        }
    }

    public func changeCounter() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'change_counter'") ?? 0
        }
    }

    // MARK: - Search support

    public func papers(after position: RevisionPosition, limit: Int) async throws -> [RevisedPaper] {
        let (condition, arguments): (String, StatementArguments) =
            if let id = position.id {
                ("(revision, id) > (?, ?)", [position.revision, id, limit])
            } else {
                ("revision > ?", [position.revision, limit])
            }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM papers WHERE \(condition) ORDER BY revision, id LIMIT ?", arguments: arguments)
                .map { RevisedPaper(paper: try PaperRow.decode($0), revision: $0["revision"]) }
        }
    }

    public func papersWithoutEmbedding(model: String, limit: Int) async throws -> [Paper] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.* FROM papers p
                    WHERE NOT EXISTS (
                        SELECT 1 FROM paper_embeddings e WHERE e.paper_id = p.id AND e.model = ? AND e.passages IS NOT NULL)
                    ORDER BY p.id LIMIT ?
                    """,
                arguments: [model, limit]
            ).map(PaperRow.decode)
        }
    }

    public func saveEmbeddings(_ embeddings: [PaperEmbedding], model: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE store_meta SET value = value + 1 WHERE key = 'embedding_counter'")
            let revision = try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'embedding_counter'") ?? 0
            let statement = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO paper_embeddings (paper_id, model, vector, passages, revision) VALUES (?, ?, ?, ?, ?)"
            )
            for embedding in embeddings {
                try statement.execute(arguments: [
                    embedding.paperID, model, VectorBlob.encode(embedding.vector),
                    embedding.passages.map(PassageBlob.encode), revision,
                ])
            }
        }
    }

    public func embeddings(model: String, after cursor: String?, limit: Int) async throws -> [PaperEmbedding] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT paper_id, vector, passages FROM paper_embeddings
                    WHERE model = ? AND paper_id > ? ORDER BY paper_id LIMIT ?
                    """,
                arguments: [model, cursor ?? "", limit]
            ).map { row in
                let vector = VectorBlob.decode(row["vector"])
                let passages = (row["passages"] as Data?).map { PassageBlob.decode($0, dimension: vector.count) }
                return PaperEmbedding(paperID: row["paper_id"], vector: vector, passages: passages)
            }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM paper_embeddings WHERE model = ? AND passages IS NOT NULL",
                arguments: [model]
            )
                ?? 0
        }
    }

    public func deleteEmbeddings(model: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM paper_embeddings WHERE model = ?", arguments: [model])
        }
    }
}

extension SQLitePaperStore: SearchIndexSource {
    public func storeIdentity() async throws -> String {
        try await pool.read { db in
            "sqlite-\(try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") ?? 0)"
        }
    }

    public func latestRevisions() async throws -> (papers: Int, embeddings: Int) {
        try await pool.read { db in
            let papers = try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'change_counter'") ?? 0
            let embeddings = try Int.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'embedding_counter'") ?? 0
            return (papers, embeddings)
        }
    }

    public func embeddingPosition() async throws -> RevisionPosition {
        RevisionPosition(revision: try await latestRevisions().embeddings)
    }

    /// Embeddings saved after `position`, in (revision, paper id) order. One process writes a
    /// SQLite store at a time, so every committed save is visible in order.
    public func embeddings(
        model: String,
        after position: RevisionPosition,
        limit: Int
    ) async throws -> (embeddings: [PaperEmbedding], position: RevisionPosition) {
        let (condition, arguments): (String, StatementArguments) =
            if let id = position.id {
                ("(revision, paper_id) > (?, ?)", [model, position.revision, id, limit])
            } else {
                ("revision > ?", [model, position.revision, limit])
            }
        return try await pool.read { db in
            var last = position
            let embeddings = try Row.fetchAll(
                db,
                sql: """
                    SELECT paper_id, vector, passages, revision FROM paper_embeddings
                    WHERE model = ? AND \(condition) ORDER BY revision, paper_id LIMIT ?
                    """,
                arguments: arguments
            ).map { row in
                let vector = VectorBlob.decode(row["vector"])
                let passages = (row["passages"] as Data?).map { PassageBlob.decode($0, dimension: vector.count) }
                last = RevisionPosition(revision: row["revision"], id: row["paper_id"])
                return PaperEmbedding(paperID: row["paper_id"], vector: vector, passages: passages)
            }
            return (embeddings, last)
        }
    }
}
