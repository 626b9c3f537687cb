import Foundation
import Logging
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: TableTransferStore {
    /// One pooled connection in a REPEATABLE READ READ ONLY transaction: every read sees the
    /// snapshot its first statement took, while other connections keep writing.
    public func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TableSnapshot) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let value = try await body(PostgresTableReader(connection: connection, logger: logger))
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The whole copy is one transaction: committed with the identity sequences moved past
    /// the copied ids and a change recorded (every node reloads), or rolled back whole.
    public func withTransferWriter<T: Sendable>(_ body: @Sendable (any TableWriter) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await transaction { connection in
            // Emptying waits for every other reader of the tables: a server still using the
            // target, or a snapshot of this very database, makes it fail instead of hang.
            try await connection.query("SET LOCAL lock_timeout = '10s'", logger: logger)
            let writer = PostgresTableWriter(connection: connection, logger: logger)
            let value = try await body(writer)
            try await writer.finish()
            return value
        }
    }
}

/// Reads tables on the connection of a snapshot (or of the writer: its own writes included).
struct PostgresTableReader: TableSnapshot {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's own tables: the outbox of changes, the migration log, and what nodes
    /// share only while they run (rate-limit buckets, embedding claims).
    static let ownTables: Set<String> = ["changes", "schema_migrations", "rate_limit_buckets", "embedding_claims", "store_identity"]
    /// Columns only this backend keeps: the transaction that saved an embedding.
    static let ownColumns: [String: Set<String>] = ["paper_embeddings": ["revision"]]

    func schema() async throws -> [String: Set<String>] {
        try await described("reading the schema") {
            let rows = try await connection.query(
                """
                SELECT c.table_name, c.column_name FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                """,
                logger: logger
            )
            var schema: [String: Set<String>] = [:]
            for try await (table, column) in rows.decode((String, String).self)
            where !Self.ownTables.contains(table) && Self.ownColumns[table]?.contains(column) != true {
                schema[table, default: []].insert(column)
            }
            return schema
        }
    }

    func count(_ table: TransferTable) async throws -> Int {
        try await described("counting \(table.name)") {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(quoted(table.name))"), logger: logger)
            return try await rows.collect().first?.decode(Int.self) ?? 0
        }
    }

    /// Keyset pages in the table's own key order (its collation for text keys): the primary
    /// key's index serves each page.
    func rows(_ table: TransferTable, after key: [CellValue]?, limit: Int) async throws -> [[CellValue]] {
        let keyColumns = table.key.map(quoted).joined(separator: ", ")
        var sql = "SELECT \(table.columnNames.map(quoted).joined(separator: ", ")) FROM \(quoted(table.name))"
        var binds = PostgresBindings(capacity: table.key.count + 1)
        if let key {
            let placeholders = (1...key.count).map { "$\($0)" }.joined(separator: ", ")
            sql += table.key.count == 1 ? " WHERE \(keyColumns) > $1" : " WHERE (\(keyColumns)) > (\(placeholders))"
            for value in key { try value.bind(into: &binds) }
        }
        sql += " ORDER BY \(keyColumns) LIMIT $\(binds.count + 1)"
        binds.append(limit)
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await described("reading \(table.name)") {
            var rows: [[CellValue]] = []
            rows.reserveCapacity(limit)
            for try await row in try await connection.query(query, logger: logger) {
                var cells: [CellValue] = []
                cells.reserveCapacity(table.columns.count)
                for (cell, column) in zip(row, table.columns) {
                    cells.append(try Self.value(of: cell, as: column.type))
                }
                rows.append(cells)
            }
            return rows
        }
    }

    static func value(of cell: PostgresCell, as type: CellType) throws -> CellValue {
        guard cell.bytes != nil else { return .null }
        return switch type {
        case .integer: .integer(try cell.decode(Int64.self))
        case .real: .real(try cell.decode(Double.self))
        case .text: .text(try cell.decode(String.self))
        case .blob: .blob(try cell.decode(Data.self))
        }
    }

    /// Runs `body`, turning what PostgresNIO throws into the server's one-line message.
    func described<T>(_ doing: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as TableTransferError {
            throw error
        } catch {
            throw TableTransferError.failed(doing: doing, reason: PostgresErrorText.describe(error))
        }
    }
}

/// Appends with COPY FROM STDIN, one COPY per batch, all in the writer's transaction.
struct PostgresTableWriter: TableWriter {
    let connection: PostgresConnection
    let logger: Logger

    private var reader: PostgresTableReader { PostgresTableReader(connection: connection, logger: logger) }

    func schema() async throws -> [String: Set<String>] { try await reader.schema() }

    func count(_ table: TransferTable) async throws -> Int { try await reader.count(table) }

    func rows(_ table: TransferTable, after key: [CellValue]?, limit: Int) async throws -> [[CellValue]] {
        try await reader.rows(table, after: key, limit: limit)
    }

    func tablesHoldingRows() async throws -> [String] {
        var names: [String] = []
        for table in TransferCatalog.tables {
            let held = try await reader.described("looking into \(table.name)") {
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM \(quoted(table.name)))"),
                    logger: logger
                )
                return try await rows.collect().first?.decode(Bool.self) ?? false
            }
            if held { names.append(table.name) }
        }
        return names
    }

    /// One TRUNCATE of every copied table and the embedding claims on its papers: foreign
    /// keys between them allow no other order.
    func removeAllRows() async throws {
        let names = (TransferCatalog.tables.map(\.name) + ["embedding_claims"]).map { quoted($0) }.joined(separator: ", ")
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "TRUNCATE \(names) RESTART IDENTITY"), logger: logger)
            // Other rows under the same revisions: index files written before are not this data.
            try await connection.query("UPDATE store_identity SET id = md5(random()::text || clock_timestamp()::text)", logger: logger)
        } catch  where PostgresErrorText.sqlState(error) == "55P03" {
            throw TableTransferError.failed(
                doing: "emptying the target",
                reason: "its tables stayed in use for 10 s (a server on it, or the source being the same database)"
            )
        } catch {
            throw TableTransferError.failed(doing: "emptying the target", reason: PostgresErrorText.describe(error))
        }
    }

    func append(_ rows: [[CellValue]], to table: TransferTable) async throws {
        guard !rows.isEmpty else { return }
        var text: [UInt8] = []
        text.reserveCapacity(rows.count * 256)
        for row in rows { CopyText.append(row, to: &text) }
        let buffer = ByteBuffer(bytes: text)
        try await reader.described("copying into \(table.name)") {
            try await connection.copyFrom(table: table.name, columns: table.columnNames, logger: logger) { writer in
                try await writer.write(buffer)
            }
        }
    }

    /// Identity columns hand out ids past the copied ones (a copy writes the ids itself, and
    /// the sequences never saw them); a change recorded so caches on every node reload.
    func finish() async throws {
        try await reader.described("finishing the copy") {
            for table in TransferCatalog.tables {
                guard let column = table.identity else { continue }
                let sql = """
                    SELECT setval(pg_get_serial_sequence('\(table.name)', '\(column)'), COALESCE(max(\(quoted(column))), 0) + 1, false)
                    FROM \(quoted(table.name))
                    """
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
            try await connection.query("INSERT INTO changes DEFAULT VALUES", logger: logger)
        }
    }
}

/// Rows in COPY's text format: tab between columns, newline after each row, `\N` for NULL;
/// a backslash, tab, newline or carriage return in text is escaped with a backslash; bytea
/// goes as `\x` and hex digits, its backslash escaped like any other.
enum CopyText {
    static func append(_ row: [CellValue], to out: inout [UInt8]) {
        for (index, cell) in row.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "\t")) }
            switch cell {
            case .null:
                out.append(contentsOf: #"\N"#.utf8)
            case .integer(let number):
                out.append(contentsOf: String(number).utf8)
            case .real(let number):
                out.append(contentsOf: realText(number).utf8)
            case .text(let text):
                appendEscaped(text, to: &out)
            case .blob(let data):
                out.append(contentsOf: #"\\x"#.utf8)
                for byte in data {
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0x0f)])
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// Multi-byte UTF-8 sequences hold no ASCII bytes, so escaping byte by byte is exact.
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: out.append(byte)
            }
        }
    }

    /// Swift writes the shortest text that reads back as the same double; PostgreSQL reads
    /// it exactly. Only the special values are spelled PostgreSQL's way.
    static func realText(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        return "\(number)"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Catalog names are fixed identifiers; quoting keeps words like `new` and `key` plain names.
private func quoted(_ name: String) -> String { "\"\(name)\"" }

extension CellValue {
    func bind(into binds: inout PostgresBindings) throws {
        switch self {
        case .null: binds.appendNull()
        case .integer(let number): binds.append(number)
        case .real(let number): binds.append(number)
        case .text(let text): binds.append(text)
        case .blob(let data): try binds.append(data)
        }
    }
}
