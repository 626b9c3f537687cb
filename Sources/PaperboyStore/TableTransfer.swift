import Foundation

/// Moving a whole store between backends (`paperboy db copy`, the backup of a PostgreSQL
/// store), below the store protocols: tables of rows of plain values. Both schemas hold the
/// same tables and columns with the same meanings (`StoreCoding`), so a row moves unchanged;
/// only the tables each backend keeps for itself (SQLite's `store_meta`, PostgreSQL's
/// `changes` outbox, the migration logs) stay behind.

/// One value of a row, as both backends store it.
public enum CellValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A column's type: SQLite INTEGER, REAL, TEXT, BLOB; PostgreSQL BIGINT, DOUBLE PRECISION,
/// TEXT, BYTEA.
public enum CellType: String, Sendable {
    case integer, real, text, blob
}

public struct TransferColumn: Sendable, Hashable {
    public var name: String
    public var type: CellType
    /// What the target gets whatever the source holds, for a column whose values only mean
    /// something in the store that wrote them (nil: copied as it is).
    public var portableValue: CellValue?

    public init(_ name: String, _ type: CellType, portableValue: CellValue? = nil) {
        self.name = name
        self.type = type
        self.portableValue = portableValue
    }
}

/// A copied table: its columns in order, the columns of its primary key (rows are read in
/// key order, a batch at a time after the last key read), and the column a sequence numbers,
/// if any (PostgreSQL's identity columns, set past the copied ids when a copy ends).
public struct TransferTable: Sendable, Hashable {
    public var name: String
    public var columns: [TransferColumn]
    public var key: [String]
    public var identity: String?
    /// Where each key column sits among the columns.
    public let keyIndexes: [Int]

    public init(_ name: String, key: [String], identity: String? = nil, _ columns: [TransferColumn]) {
        self.name = name
        self.columns = columns
        self.key = key
        self.identity = identity
        self.keyIndexes = key.map { name in columns.firstIndex { $0.name == name }! }
    }

    public var columnNames: [String] { columns.map(\.name) }

    /// The key of a row of this table.
    public func key(of row: [CellValue]) -> [CellValue] {
        keyIndexes.map { row[$0] }
    }

    /// The row as the target receives it: backend-specific columns set to their portable value.
    public func portable(_ row: [CellValue]) -> [CellValue] {
        guard columns.contains(where: { $0.portableValue != nil }) else { return row }
        var row = row
        for (index, column) in columns.enumerated() {
            if let value = column.portableValue { row[index] = value }
        }
        return row
    }
}

/// Every copied table, parents before the tables that refer to them (emptied in reverse).
public enum TransferCatalog {
    public static let tables: [TransferTable] = [
        papers, dailyEntries, paperEmbeddings, users, sessions, upvotes, apiTokens, instanceSettings, subscribers,
        digestDeliveries, digestSentPapers, leases, syncDays, harvestCheckpoints, syncRuns, syncSchedule, adminActions, comments,
        commentReports, collections, collectionItems,
    ]

    public static func table(named name: String) -> TransferTable? {
        tables.first { $0.name == name }
    }

    static let papers = TransferTable(
        "papers",
        key: ["id"],
        [
            .init("id", .text), .init("title", .text), .init("summary", .text), .init("authors", .text),
            .init("published_at", .text), .init("categories", .text), .init("github_repo", .text),
            .init("github_stars", .integer), .init("project_page", .text), .init("ai_summary", .text),
            .init("ai_keywords", .text), .init("organization_name", .text), .init("organization_fullname", .text),
            .init("organization_avatar", .text), .init("discussion_id", .text), .init("upvotes", .integer),
            .init("upvotes_day", .text), .init("source", .text),
            // SQLite's change counter or PostgreSQL's transaction id: meaningless elsewhere. 0 is
            // older than any position, so the target's search index loads every copied paper.
            .init("revision", .integer, portableValue: .integer(0)),
            .init("local_upvotes", .integer), .init("listing_updated_at", .text), .init("hidden_at", .text),
            .init("local_comments", .integer),
        ]
    )
    static let comments = TransferTable(
        "comments",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("paper_id", .text), .init("parent_id", .integer), .init("user_id", .integer),
            .init("body", .text), .init("created_at", .text), .init("edited_at", .text), .init("deleted_at", .text),
            .init("hidden_at", .text),
        ]
    )
    static let commentReports = TransferTable(
        "comment_reports",
        key: ["comment_id", "user_id"],
        [
            .init("comment_id", .integer), .init("user_id", .integer), .init("reason", .text), .init("created_at", .text),
            .init("resolved_at", .text),
        ]
    )
    static let collections = TransferTable(
        "collections",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("user_id", .integer), .init("name", .text), .init("description", .text),
            .init("is_public", .integer), .init("created_at", .text), .init("updated_at", .text),
        ]
    )
    static let collectionItems = TransferTable(
        "collection_items",
        key: ["collection_id", "paper_id"],
        [
            .init("collection_id", .integer), .init("paper_id", .text), .init("position", .integer), .init("note", .text),
            .init("added_at", .text),
        ]
    )
    static let dailyEntries = TransferTable(
        "daily_entries",
        key: ["day", "paper_id"],
        [
            .init("day", .text), .init("paper_id", .text), .init("submitted_at", .text), .init("submitter_name", .text),
            .init("submitter_fullname", .text), .init("submitter_avatar", .text), .init("upvotes", .integer),
            .init("num_comments", .integer), .init("thumbnail", .text), .init("raw_json", .text), .init("position", .integer),
            .init("hidden_at", .text),
        ]
    )
    static let paperEmbeddings = TransferTable(
        "paper_embeddings",
        key: ["paper_id"],
        [.init("paper_id", .text), .init("model", .text), .init("vector", .blob), .init("passages", .blob)]
    )
    static let users = TransferTable(
        "users",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("email", .text), .init("email_key", .text), .init("name", .text),
            .init("password_hash", .text), .init("created_at", .text), .init("is_admin", .integer),
            .init("display_name", .text),
        ]
    )
    static let sessions = TransferTable(
        "sessions",
        key: ["token_hash"],
        [.init("token_hash", .text), .init("user_id", .integer), .init("csrf_token", .text), .init("expires_at", .text)]
    )
    static let upvotes = TransferTable(
        "upvotes",
        key: ["user_id", "paper_id"],
        [.init("user_id", .integer), .init("paper_id", .text), .init("created_at", .text)]
    )
    static let apiTokens = TransferTable(
        "api_tokens",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("user_id", .integer), .init("name", .text), .init("token_hash", .text),
            .init("created_at", .text), .init("revoked_at", .text),
        ]
    )
    static let instanceSettings = TransferTable(
        "instance_settings",
        key: ["key"],
        [.init("key", .text), .init("value", .text)]
    )
    static let subscribers = TransferTable(
        "subscribers",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("email", .text), .init("email_key", .text), .init("user_id", .integer),
            .init("state", .text), .init("created_at", .text), .init("confirmed_at", .text),
            .init("confirmation_requested_at", .text), .init("confirmation_sent_at", .text),
            .init("permanent_failures", .integer), .init("last_error", .text),
        ]
    )
    static let digestDeliveries = TransferTable(
        "digest_deliveries",
        key: ["subscriber_id", "digest_date"],
        [
            .init("subscriber_id", .integer), .init("digest_date", .text), .init("state", .text), .init("attempts", .integer),
            .init("next_attempt_at", .real), .init("message_id", .text), .init("paper_ids", .text), .init("pick_ids", .text),
            .init("last_error", .text), .init("updated_at", .text),
        ]
    )
    static let digestSentPapers = TransferTable(
        "digest_sent_papers",
        key: ["subscriber_id", "paper_id"],
        [.init("subscriber_id", .integer), .init("paper_id", .text), .init("digest_date", .text)]
    )
    static let leases = TransferTable(
        "leases",
        key: ["name"],
        [.init("name", .text), .init("holder", .text), .init("expires_at", .real)]
    )
    static let syncDays = TransferTable(
        "sync_days",
        key: ["day"],
        [.init("day", .text), .init("fetched_at", .real), .init("items", .integer), .init("is_empty", .integer)]
    )
    static let harvestCheckpoints = TransferTable(
        "harvest_checkpoints",
        key: ["source"],
        [
            .init("source", .text), .init("from_date", .text), .init("until_date", .text), .init("resumption_token", .text),
            .init("records", .integer), .init("next_from", .text),
        ]
    )
    static let syncRuns = TransferTable(
        "sync_runs",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("source", .text), .init("started_at", .real), .init("ended_at", .real),
            .init("fetched", .integer), .init("new", .integer), .init("updated", .integer), .init("rejected", .integer),
            .init("error", .text),
        ]
    )
    static let syncSchedule = TransferTable(
        "sync_schedule",
        key: ["source"],
        [.init("source", .text), .init("next_run_at", .real)]
    )
    static let adminActions = TransferTable(
        "admin_actions",
        key: ["id"],
        identity: "id",
        [
            .init("id", .integer), .init("actor_id", .integer), .init("actor", .text), .init("action", .text),
            .init("target", .text), .init("detail", .text), .init("created_at", .text),
        ]
    )
}

/// One consistent view of a store: every read sees the same moment.
public protocol TableSnapshot: Sendable {
    /// Every table the store holds with its columns, the store's own bookkeeping tables left
    /// out: what the copier checks the catalog against, so a column added by a migration but
    /// missing from the catalog stops a copy instead of being left behind.
    func schema() async throws -> [String: Set<String>]

    func count(_ table: TransferTable) async throws -> Int

    /// Up to `limit` rows in key order after the row whose key is `key` (from the first when
    /// nil), each with the table's columns in catalog order.
    func rows(_ table: TransferTable, after key: [CellValue]?, limit: Int) async throws -> [[CellValue]]
}

/// Writes a copy into a store; reads (the snapshot's methods) see what it wrote so far.
public protocol TableWriter: TableSnapshot {
    /// The copied tables that hold at least one row, in catalog order.
    func tablesHoldingRows() async throws -> [String]

    /// Empties every copied table, children first.
    func removeAllRows() async throws

    /// Appends rows (columns in catalog order) to a table.
    func append(_ rows: [[CellValue]], to table: TransferTable) async throws
}

/// A store whose tables can be copied out and in.
public protocol TableTransferStore: Sendable {
    /// Runs `body` with one consistent read-only view of the whole store, while the store
    /// keeps serving (SQLite: one read transaction of its own; PostgreSQL: one connection in
    /// a REPEATABLE READ transaction).
    func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TableSnapshot) async throws -> T) async throws -> T

    /// Runs `body` with a writer, then finishes the copy (PostgreSQL sets each identity
    /// sequence past the copied ids; both record a change, so every node reloads).
    ///
    /// PostgreSQL: all of it is one transaction, so a copy that fails or throws writes
    /// nothing. SQLite: each call of the writer commits on its own (GRDB holds a write
    /// transaction only for a synchronous closure), so a copy that fails leaves what it wrote.
    func withTransferWriter<T: Sendable>(_ body: @Sendable (any TableWriter) async throws -> T) async throws -> T
}

/// Copies every table of `source`, from one snapshot, into a new SQLite database at `path`
/// and checks it; returns the rows copied per table. The store factory, which knows both
/// backends, hands one to the PostgreSQL store for `backup(to:)`.
public typealias SQLiteCopyWriter = @Sendable (_ source: any TableTransferStore, _ path: String) async throws -> [String: Int]

public enum TableTransferError: Error, CustomStringConvertible, Equatable {
    /// A stored value that cannot be read as its column's type.
    case unexpectedValue(table: String, column: String, found: String)
    /// The database refused or failed a statement; `reason` is its message.
    case failed(doing: String, reason: String)

    public var description: String {
        switch self {
        case .unexpectedValue(let table, let column, let found):
            "\(table).\(column) holds \(found), which is not a value of its type"
        case .failed(let doing, let reason):
            "\(doing) failed: \(reason)"
        }
    }
}
