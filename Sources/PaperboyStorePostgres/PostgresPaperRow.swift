import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// A paper as stored, with the feed day its upvotes were captured for: an older capture must
/// not overwrite a newer one.
struct StoredPaper: Equatable, Sendable {
    var paper: Paper
    var upvotesDay: FeedDay?
}

/// Maps papers and feed entries to and from their PostgreSQL rows, with the columns and codings
/// of SQLite's `PaperRow`, so that both backends hold identical values.
enum PostgresPaperRow {
    /// The columns a paper write sets, with their types: a bound NULL carries no type, and a
    /// `VALUES` list joined to a table needs one.
    static let columns: [(name: String, type: String)] = [
        ("id", "text"), ("title", "text"), ("summary", "text"), ("authors", "text"), ("published_at", "text"),
        ("categories", "text"), ("github_repo", "text"), ("github_stars", "bigint"), ("project_page", "text"),
        ("ai_summary", "text"), ("ai_keywords", "text"), ("organization_name", "text"),
        ("organization_fullname", "text"), ("organization_avatar", "text"), ("discussion_id", "text"),
        ("upvotes", "bigint"), ("upvotes_day", "text"), ("source", "text"), ("listing_updated_at", "text"),
        ("revision", "bigint"),
    ]

    static let entryColumns: [(name: String, type: String)] = [
        ("day", "text"), ("paper_id", "text"), ("submitted_at", "text"), ("submitter_name", "text"),
        ("submitter_fullname", "text"), ("submitter_avatar", "text"), ("upvotes", "bigint"), ("num_comments", "bigint"),
        ("thumbnail", "text"), ("raw_json", "text"), ("position", "bigint"),
    ]

    /// Rows per statement: a batch of the CLI's 1,000 papers in one, and far below the
    /// protocol's 65,535 binds.
    static let rowsPerStatement = 1000

    // MARK: - Writing papers

    /// Inserts the papers not stored yet, in the order given (id order: two transactions
    /// inserting the same papers then wait for each other rather than deadlock, and the later
    /// one inserts nothing). Returns the ids of those inserted.
    static func insertNew(
        _ papers: [StoredPaper],
        revision: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Set<String> {
        if papers.count >= copyThreshold { return try await copyNew(papers, revision: revision, on: connection, logger: logger) }
        var inserted: Set<String> = []
        for chunk in papers.chunks(of: rowsPerStatement) {
            var binds = PostgresBindings(capacity: chunk.count * columns.count)
            for paper in chunk { bind(paper, revision: revision, into: &binds) }
            let sql = """
                INSERT INTO papers (\(columns.map(\.name).joined(separator: ", ")))
                VALUES \(valuesList(rows: chunk.count, columns: columns))
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """
            for try await id in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(String.self) {
                inserted.insert(id)
            }
        }
        return inserted
    }

    /// From this many new papers on, they travel by COPY (a bulk import's batches); fewer go in
    /// one INSERT, which costs less than a staging table's round trips.
    static let copyThreshold = 200

    /// Bulk loads: the papers go by COPY into a temporary staging table of this connection,
    /// then into `papers` in id order with one INSERT … SELECT, so that a paper stored
    /// meanwhile by another node still meets ON CONFLICT.
    private static func copyNew(
        _ papers: [StoredPaper],
        revision: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Set<String> {
        let names = columns.map(\.name).joined(separator: ", ")
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TEMPORARY TABLE IF NOT EXISTS incoming_papers
                        (\(columns.map { "\($0.name) \($0.type)" }.joined(separator: ", "))) ON COMMIT DELETE ROWS
                    """
            ),
            logger: logger
        )
        var text: [UInt8] = []
        text.reserveCapacity(papers.count * 1_500)
        for stored in papers { CopyText.append(cells(stored, revision: revision), to: &text) }
        let buffer = ByteBuffer(bytes: text)
        try await connection.copyFrom(table: "incoming_papers", columns: columns.map(\.name), logger: logger) { writer in
            try await writer.write(buffer)
        }
        var inserted: Set<String> = []
        let sql = """
            INSERT INTO papers (\(names)) SELECT \(names) FROM incoming_papers ORDER BY id
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """
        for try await id in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
            inserted.insert(id)
        }
        try await connection.query("TRUNCATE incoming_papers", logger: logger)
        return inserted
    }

    /// A paper's row as COPY writes it: the values `bind` binds, in the same order.
    private static func cells(_ stored: StoredPaper, revision: Int) -> [CellValue] {
        let paper = stored.paper
        func text(_ value: String?) -> CellValue { value.map(CellValue.text) ?? .null }
        func integer(_ value: Int?) -> CellValue { value.map { .integer(Int64($0)) } ?? .null }
        return [
            .text(paper.id), .text(paper.title), .text(paper.summary), .text(JSONList.encode(paper.authors)),
            text(paper.publishedAt), .text(JSONList.encode(paper.categories)), text(paper.githubRepo),
            integer(paper.githubStars), text(paper.projectPage), text(paper.aiSummary), .text(JSONList.encode(paper.aiKeywords)),
            text(paper.organization?.name), text(paper.organization?.fullname), text(paper.organization?.avatar),
            text(paper.discussionID), .integer(Int64(paper.upvotes)), text(stored.upvotesDay?.description),
            .text(paper.source.rawValue), text(paper.listingUpdatedAt), .integer(Int64(revision)),
        ]
    }

    /// Locks the stored papers with these ids, in id order, and reads them. The lock lets
    /// rows referring to them be added meanwhile (entries, votes, embeddings): no key changes.
    static func lock(ids: [String], on connection: PostgresConnection, logger: Logger) async throws -> [StoredPaper] {
        guard !ids.isEmpty else { return [] }
        return try await connection.query(
            "SELECT * FROM papers WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        ).collect().map { try decodeStored($0.makeRandomAccess()) }
    }

    /// Rewrites stored papers (locked by this transaction) with these values.
    static func update(_ papers: [StoredPaper], revision: Int, on connection: PostgresConnection, logger: Logger) async throws {
        let assignments = columns.dropFirst().map { "\($0.name) = v.\($0.name)" }.joined(separator: ", ")
        for chunk in papers.chunks(of: rowsPerStatement) {
            var binds = PostgresBindings(capacity: chunk.count * columns.count)
            for paper in chunk { bind(paper, revision: revision, into: &binds) }
            let sql = """
                UPDATE papers AS p SET \(assignments)
                FROM (VALUES \(valuesList(rows: chunk.count, columns: columns)))
                    AS v(\(columns.map(\.name).joined(separator: ", ")))
                WHERE p.id = v.id
                """
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    private static func bind(_ stored: StoredPaper, revision: Int, into binds: inout PostgresBindings) {
        let paper = stored.paper
        binds.append(paper.id)
        binds.append(paper.title)
        binds.append(paper.summary)
        binds.append(JSONList.encode(paper.authors))
        binds.append(paper.publishedAt)
        binds.append(JSONList.encode(paper.categories))
        binds.append(paper.githubRepo)
        binds.append(paper.githubStars)
        binds.append(paper.projectPage)
        binds.append(paper.aiSummary)
        binds.append(JSONList.encode(paper.aiKeywords))
        binds.append(paper.organization?.name)
        binds.append(paper.organization?.fullname)
        binds.append(paper.organization?.avatar)
        binds.append(paper.discussionID)
        binds.append(paper.upvotes)
        binds.append(stored.upvotesDay?.description)
        binds.append(paper.source.rawValue)
        binds.append(paper.listingUpdatedAt)
        binds.append(revision)
    }

    // MARK: - Writing entries

    /// Inserts or replaces feed entries (one per day and paper), in (day, paper) order. An
    /// editor's hiding stays: a new capture does not undo it.
    static func upsertEntries(_ entries: [DailyEntry], on connection: PostgresConnection, logger: Logger) async throws {
        let assignments = entryColumns.dropFirst(2).map { "\($0.name) = EXCLUDED.\($0.name)" }.joined(separator: ", ")
        for chunk in entries.chunks(of: rowsPerStatement) {
            var binds = PostgresBindings(capacity: chunk.count * entryColumns.count)
            for entry in chunk {
                binds.append(entry.day.description)
                binds.append(entry.paper.id)
                binds.append(entry.submittedAt)
                binds.append(entry.submitter?.name)
                binds.append(entry.submitter?.fullname)
                binds.append(entry.submitter?.avatarURL)
                binds.append(entry.upvotes)
                binds.append(entry.numComments)
                binds.append(entry.thumbnail)
                binds.append(RawItemText.encode(entry.rawItem))
                binds.append(entry.position)
            }
            let sql = """
                INSERT INTO daily_entries (\(entryColumns.map(\.name).joined(separator: ", ")))
                VALUES \(valuesList(rows: chunk.count, columns: entryColumns))
                ON CONFLICT (day, paper_id) DO UPDATE SET \(assignments)
                """
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    /// `($1::text, $2::bigint, …), (…)`: placeholders only, for `rows` rows of `columns`.
    static func valuesList(rows: Int, columns: [(name: String, type: String)]) -> String {
        (0..<rows).map { row in
            "(" + columns.enumerated().map { "$\(row * columns.count + $0.offset + 1)::\($0.element.type)" }.joined(separator: ", ") + ")"
        }.joined(separator: ", ")
    }

    // MARK: - Reading

    static func decode(_ row: PostgresRandomAccessRow) throws -> Paper {
        let organizationName = try row["organization_name"].decode(String?.self)
        var paper = Paper(
            id: try row["id"].decode(String.self),
            title: try row["title"].decode(String.self),
            summary: try row["summary"].decode(String.self),
            authors: JSONList.decode(try row["authors"].decode(String?.self)),
            publishedAt: try row["published_at"].decode(String?.self),
            categories: JSONList.decode(try row["categories"].decode(String?.self)),
            githubRepo: try row["github_repo"].decode(String?.self),
            githubStars: try row["github_stars"].decode(Int?.self),
            projectPage: try row["project_page"].decode(String?.self),
            aiSummary: try row["ai_summary"].decode(String?.self),
            aiKeywords: JSONList.decode(try row["ai_keywords"].decode(String?.self)),
            organization: try organizationName.map {
                Organization(
                    name: $0,
                    fullname: try row["organization_fullname"].decode(String?.self),
                    avatar: try row["organization_avatar"].decode(String?.self)
                )
            },
            discussionID: try row["discussion_id"].decode(String?.self),
            upvotes: try row["upvotes"].decode(Int.self),
            localUpvotes: try row["local_upvotes"].decode(Int.self),
            source: PaperSource(rawValue: try row["source"].decode(String.self)) ?? .arxiv,
            listingUpdatedAt: try row["listing_updated_at"].decode(String?.self)
        )
        if row.contains("local_comments") { paper.localComments = try row["local_comments"].decode(Int.self) }
        return paper
    }

    static func decodeStored(_ row: PostgresRandomAccessRow) throws -> StoredPaper {
        StoredPaper(paper: try decode(row), upvotesDay: try row["upvotes_day"].decode(String?.self).flatMap { FeedDay($0) })
    }

    /// Decodes a row of `papers` joined with its `daily_entries` columns (`entry_upvotes`, and
    /// `raw_json` and `position` where selected).
    static func decodeEntry(_ row: PostgresRandomAccessRow) throws -> DailyEntry {
        let submitterName = try row["submitter_name"].decode(String?.self)
        return DailyEntry(
            day: FeedDay(try row["day"].decode(String.self)) ?? FeedDay(daysSinceEpoch: 0),
            paper: try decode(row),
            submittedAt: try row["submitted_at"].decode(String?.self),
            submitter: try submitterName.map {
                Submitter(
                    name: $0,
                    fullname: try row["submitter_fullname"].decode(String?.self),
                    avatarURL: try row["submitter_avatar"].decode(String?.self)
                )
            },
            upvotes: try row["entry_upvotes"].decode(Int.self),
            numComments: try row["num_comments"].decode(Int.self),
            thumbnail: try row["thumbnail"].decode(String?.self),
            rawItem: row.contains("raw_json") ? try row["raw_json"].decode(String?.self).map { Data($0.utf8) } : nil,
            position: row.contains("position") ? try row["position"].decode(Int?.self) : nil
        )
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
