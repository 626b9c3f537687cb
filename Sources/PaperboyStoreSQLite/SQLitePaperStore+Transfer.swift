import Foundation
import GRDB
import PaperboyStore

extension SQLitePaperStore: TableTransferStore {
    /// A `DatabaseSnapshot`: a connection of its own holding one read transaction, so the copy
    /// sees one moment while the store keeps serving (a WAL reader never blocks writers).
    public func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TableSnapshot) async throws -> T) async throws -> T {
        let snapshot = try pool.makeSnapshot()
        defer { try? snapshot.close() }
        return try await body(SQLiteTableReader(reader: snapshot))
    }

    /// Each batch is one write transaction; the last one bumps the change counter, so caches
    /// in every process see that the data changed.
    public func withTransferWriter<T: Sendable>(_ body: @Sendable (any TableWriter) async throws -> T) async throws -> T {
        let value = try await body(SQLiteTableWriter(pool: pool))
        try await pool.write { db in _ = try Self.nextRevision(db) }
        return value
    }

    /// Makes a new store at `path`, lets `fill` write it, then closes it and makes it one
    /// self-contained file (rollback journal, no WAL) that passes `PRAGMA integrity_check`:
    /// the backup file of a PostgreSQL store.
    public static func writeStandaloneFile<T: Sendable>(at path: String, _ fill: @Sendable (SQLitePaperStore) async throws -> T) async throws -> T {
        let store = try SQLitePaperStore(path: path)
        let value: T
        do {
            value = try await fill(store)
            try store.pool.close()
        } catch {
            try? store.pool.close()
            throw error
        }
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        let problems = try await database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            return try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        guard problems == ["ok"] else {
            throw BackupError.integrityCheckFailed(path: path, report: problems.prefix(5).joined(separator: "; "))
        }
        return value
    }
}

/// Reads tables from a snapshot (or, for the writer, from the pool: what it committed).
struct SQLiteTableReader: TableSnapshot {
    let reader: any DatabaseReader

    /// The store's own tables: the change counter and GRDB's migration log.
    static let ownTables: Set<String> = ["store_meta", "grdb_migrations"]
    /// Columns only this backend keeps: the save that wrote an embedding (its own counter).
    static let ownColumns: [String: Set<String>] = ["paper_embeddings": ["revision"]]

    func schema() async throws -> [String: Set<String>] {
        try await reader.read { db in
            var schema: [String: Set<String>] = [:]
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            for name in names where !Self.ownTables.contains(name) {
                schema[name] = Set(try db.columns(in: name).map(\.name)).subtracting(Self.ownColumns[name] ?? [])
            }
            return schema
        }
    }

    func count(_ table: TransferTable) async throws -> Int {
        try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(quoted(table.name))") ?? 0 }
    }

    func rows(_ table: TransferTable, after key: [CellValue]?, limit: Int) async throws -> [[CellValue]] {
        let keyColumns = table.key.map(quoted).joined(separator: ", ")
        var sql = "SELECT \(table.columnNames.map(quoted).joined(separator: ", ")) FROM \(quoted(table.name))"
        var arguments = StatementArguments()
        if let key {
            let placeholders = databaseQuestionMarks(count: key.count)
            sql += table.key.count == 1 ? " WHERE \(keyColumns) > ?" : " WHERE (\(keyColumns)) > (\(placeholders))"
            arguments += StatementArguments(key.map(\.databaseValue))
        }
        sql += " ORDER BY \(keyColumns) LIMIT ?"
        arguments += [limit]
        let (boundSQL, boundArguments) = (sql, arguments)
        return try await reader.read { db in
            var rows: [[CellValue]] = []
            rows.reserveCapacity(limit)
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: boundSQL), arguments: boundArguments)
            while let row = try cursor.next() {
                var cells: [CellValue] = []
                cells.reserveCapacity(table.columns.count)
                for (value, column) in zip(row.databaseValues, table.columns) {
                    cells.append(try Self.cell(value, column: column, table: table.name))
                }
                rows.append(cells)
            }
            return rows
        }
    }

    /// A stored value as its column's type. SQLite keeps whatever it is given; the store only
    /// ever writes values of the declared types, and the few lossless conversions cover
    /// values other tools wrote (an integer in a REAL column, text in a BLOB one).
    static func cell(_ value: DatabaseValue, column: TransferColumn, table: String) throws -> CellValue {
        switch (value.storage, column.type) {
        case (.null, _): return .null
        case (.int64(let number), .integer): return .integer(number)
        case (.int64(let number), .real): return .real(Double(number))
        case (.double(let number), .real): return .real(number)
        case (.double(let number), .integer) where number.rounded() == number && abs(number) < 9.2e18:
            return .integer(Int64(number))
        case (.string(let text), .text): return .text(text)
        case (.blob(let data), .blob): return .blob(data)
        case (.string(let text), .blob): return .blob(Data(text.utf8))
        case (.blob(let data), .text):
            if let text = String(data: data, encoding: .utf8) { return .text(text) }
        default: break
        }
        throw TableTransferError.unexpectedValue(table: table, column: column.name, found: "\(value)")
    }
}

/// Appends batches, each in a transaction of its own.
struct SQLiteTableWriter: TableWriter {
    let pool: DatabasePool

    private var reader: SQLiteTableReader { SQLiteTableReader(reader: pool) }

    func schema() async throws -> [String: Set<String>] { try await reader.schema() }

    func count(_ table: TransferTable) async throws -> Int { try await reader.count(table) }

    func rows(_ table: TransferTable, after key: [CellValue]?, limit: Int) async throws -> [[CellValue]] {
        try await reader.rows(table, after: key, limit: limit)
    }

    func tablesHoldingRows() async throws -> [String] {
        try await pool.read { db in
            try TransferCatalog.tables.map(\.name).filter { name in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(quoted(name)))") ?? false
            }
        }
    }

    func removeAllRows() async throws {
        try await pool.write { db in
            for table in TransferCatalog.tables.reversed() {
                try db.execute(sql: "DELETE FROM \(quoted(table.name))")
            }
        }
    }

    func append(_ rows: [[CellValue]], to table: TransferTable) async throws {
        guard !rows.isEmpty else { return }
        let sql = """
            INSERT INTO \(quoted(table.name)) (\(table.columnNames.map(quoted).joined(separator: ", ")))
            VALUES (\(databaseQuestionMarks(count: table.columns.count)))
            """
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(\.databaseValue)))
            }
        }
    }
}

/// Catalog names are fixed identifiers; quoting keeps words like `new` and `key` plain names.
private func quoted(_ name: String) -> String { "\"\(name)\"" }

extension CellValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        }
    }
}
