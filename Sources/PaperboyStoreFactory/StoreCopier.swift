import Crypto
import Foundation
import Logging
import PaperboyStore
import PaperboyStorePostgres
import PaperboyStoreSQLite

/// Copies every table of one store into another, whichever their backends (`paperboy db copy`,
/// and the backup of a PostgreSQL store into a SQLite file), then proves the copy: each
/// table's rows are counted and checksummed on both sides, the target's by reading it back.
///
/// The source is read from one snapshot while it keeps serving; the target is written in
/// batches (PostgreSQL: COPY, in one transaction that a failed check rolls back; SQLite:
/// batched INSERTs). A target that holds any row is refused unless `force`, which empties
/// it first.
public struct StoreCopier: Sendable {
    /// Rows read and written at a time.
    public var batchSize: Int
    /// Empty a target that holds rows instead of refusing it.
    public var force: Bool
    /// Hears as each table starts, after each batch copied or checked, and as it is done.
    public var progress: (@Sendable (StoreCopyProgress) -> Void)?

    public init(batchSize: Int = 5000, force: Bool = false, progress: (@Sendable (StoreCopyProgress) -> Void)? = nil) {
        self.batchSize = max(1, batchSize)
        self.force = force
        self.progress = progress
    }

    public func copy(from source: any TableTransferStore, to target: any TableTransferStore) async throws -> StoreCopyReport {
        let started = ContinuousClock.now
        let copier = self
        // The snapshot is taken first and holds the source's tables while the target is
        // emptied: a target that is the source itself then waits on the snapshot (PostgreSQL
        // gives up after its lock timeout) instead of emptying what is being copied.
        let tables = try await source.withTransferSnapshot { snapshot in
            try Self.checkSchema(try await snapshot.schema(), of: "source")
            var totals: [Int] = []
            for table in TransferCatalog.tables { totals.append(try await snapshot.count(table)) }
            let sourceTotals = totals
            return try await target.withTransferWriter { writer in
                try Self.checkSchema(try await writer.schema(), of: "target")
                let held = try await writer.tablesHoldingRows()
                if !held.isEmpty {
                    guard copier.force else { throw StoreCopyError.targetNotEmpty(tables: held) }
                    try await writer.removeAllRows()
                }
                var reports: [TableCopyReport] = []
                for (table, total) in zip(TransferCatalog.tables, sourceTotals) {
                    let tableStarted = ContinuousClock.now
                    let copied = try await copier.copyTable(table, total: total, from: snapshot, to: writer)
                    try await copier.verify(table, copied: copied, in: writer)
                    copier.progress?(StoreCopyProgress(table: table.name, phase: .done, rows: copied.rows, total: copied.rows))
                    reports.append(
                        TableCopyReport(table: table.name, rows: copied.rows, checksum: copied.checksum, seconds: tableStarted.secondsUntilNow)
                    )
                }
                return reports
            }
        }
        return StoreCopyReport(tables: tables, seconds: started.secondsUntilNow)
    }

    /// Reads the table a batch at a time, the next batch read while this one is written.
    private func copyTable(
        _ table: TransferTable,
        total: Int,
        from snapshot: any TableSnapshot,
        to writer: any TableWriter
    ) async throws
        -> TableDigest
    {
        var digest = TableDigest(table: table.name)
        progress?(StoreCopyProgress(table: table.name, phase: .copying, rows: 0, total: total))
        var batch = try await snapshot.rows(table, after: nil, limit: batchSize)
        while !batch.isEmpty {
            let rows = batch.map(table.portable)
            let isLast = batch.count < batchSize
            let after = table.key(of: batch[batch.count - 1])
            async let next: [[CellValue]] = isLast ? [] : snapshot.rows(table, after: after, limit: batchSize)
            try await writer.append(rows, to: table)
            for row in rows { digest.add(row) }
            progress?(StoreCopyProgress(table: table.name, phase: .copying, rows: digest.rows, total: total))
            batch = try await next
        }
        // The snapshot's count and its rows are of one moment; anything else is a broken snapshot.
        guard digest.rows == total else { throw StoreCopyError.sourceChanged(table: table.name, counted: total, read: digest.rows) }
        return digest
    }

    /// Reads the table back from the target (before a PostgreSQL target commits) and compares.
    private func verify(_ table: TransferTable, copied: TableDigest, in writer: any TableWriter) async throws {
        progress?(StoreCopyProgress(table: table.name, phase: .verifying, rows: 0, total: copied.rows))
        let counted = try await writer.count(table)
        guard counted == copied.rows else {
            throw StoreCopyError.countMismatch(table: table.name, source: copied.rows, target: counted)
        }
        var readBack = TableDigest(table: table.name)
        var after: [CellValue]? = nil
        while true {
            let rows = try await writer.rows(table, after: after, limit: batchSize)
            for row in rows { readBack.add(row) }
            progress?(StoreCopyProgress(table: table.name, phase: .verifying, rows: readBack.rows, total: copied.rows))
            guard rows.count == batchSize else { break }
            after = table.key(of: rows[rows.count - 1])
        }
        guard readBack.rows == copied.rows else {
            throw StoreCopyError.countMismatch(table: table.name, source: copied.rows, target: readBack.rows)
        }
        guard readBack.checksum == copied.checksum else {
            throw StoreCopyError.checksumMismatch(table: table.name, source: copied.checksum, target: readBack.checksum)
        }
    }

    /// Every table both backends hold must be in the catalog with exactly its columns: a
    /// migration that adds a column or a table without adding it to `TransferCatalog` stops
    /// the copy here instead of leaving data behind.
    static func checkSchema(_ schema: [String: Set<String>], of side: String) throws {
        for table in TransferCatalog.tables {
            guard let columns = schema[table.name] else {
                throw StoreCopyError.schemaDiffers("the \(side) has no table \(table.name); is it a Paperboy database?")
            }
            let expected = Set(table.columnNames)
            if let unknown = columns.subtracting(expected).sorted().first {
                throw StoreCopyError.schemaDiffers("the \(side)'s table \(table.name) has a column \(unknown) that the copy does not know")
            }
            if let missing = expected.subtracting(columns).sorted().first {
                throw StoreCopyError.schemaDiffers("the \(side)'s table \(table.name) has no column \(missing)")
            }
        }
        let known = Set(TransferCatalog.tables.map(\.name))
        if let unknown = schema.keys.filter({ !known.contains($0) }).sorted().first {
            throw StoreCopyError.schemaDiffers("the \(side) has a table \(unknown) that the copy does not know")
        }
    }
}

public struct StoreCopyProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        /// Rows read from the source and written to the target so far.
        case copying
        /// Rows of the target read back so far.
        case verifying
        /// The table is copied and its counts and checksums agree.
        case done
    }

    public var table: String
    public var phase: Phase
    public var rows: Int
    public var total: Int

    public init(table: String, phase: Phase, rows: Int, total: Int) {
        self.table = table
        self.phase = phase
        self.rows = rows
        self.total = total
    }
}

/// One copied table: its rows, the checksum both sides agreed on (hex), and the seconds its
/// copy and check took.
public struct TableCopyReport: Sendable, Equatable {
    public var table: String
    public var rows: Int
    public var checksum: String
    public var seconds: Double
}

public struct StoreCopyReport: Sendable, Equatable {
    /// In catalog order.
    public var tables: [TableCopyReport]
    public var seconds: Double

    public var rows: Int { tables.reduce(0) { $0 + $1.rows } }

    public func table(_ name: String) -> TableCopyReport? { tables.first { $0.table == name } }
}

public enum StoreCopyError: Error, CustomStringConvertible, Equatable {
    case targetNotEmpty(tables: [String])
    case sameStore(String)
    case sourceMissing(String)
    case schemaDiffers(String)
    case sourceChanged(table: String, counted: Int, read: Int)
    case countMismatch(table: String, source: Int, target: Int)
    case checksumMismatch(table: String, source: String, target: String)

    public var description: String {
        switch self {
        case .targetNotEmpty(let tables):
            "the target already holds data (\(tables.joined(separator: ", "))); nothing was written; --force replaces it"
        case .sameStore(let location):
            "the source and the target are the same database (\(location))"
        case .sourceMissing(let path):
            "no database at \(path)"
        case .schemaDiffers(let problem):
            problem
        case .sourceChanged(let table, let counted, let read):
            "the source's \(table) changed during the copy (counted \(counted) rows, read \(read)): its snapshot is not consistent"
        case .countMismatch(let table, let source, let target):
            "\(table): the target holds \(target) rows, the source \(source)"
        case .checksumMismatch(let table, let source, let target):
            "\(table): the target's checksum \(target.prefix(12)) differs from the source's \(source.prefix(12))"
        }
    }
}

/// A checksum of a table's rows whatever order they are read in: the SHA-256 of each row's
/// canonical encoding, added up as 256-bit numbers, then hashed with the table's name and
/// row count. The two backends page through text keys in different orders (PostgreSQL in its
/// collation, SQLite byte by byte), and reading PostgreSQL in byte order would cost a sort
/// of the whole table per batch, where its primary key's index gives every batch for free.
struct TableDigest {
    let table: String
    private(set) var rows = 0
    /// Little-endian 64-bit limbs of the sum.
    private var sum: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var encoding: [UInt8] = []

    init(table: String) { self.table = table }

    mutating func add(_ row: [CellValue]) {
        encoding.removeAll(keepingCapacity: true)
        CanonicalRow.encode(row, into: &encoding)
        let limbs = SHA256.hash(data: encoding).withUnsafeBytes { raw in
            (0..<4).map { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24 - $0 * 8, as: UInt64.self)) }
        }
        var carry: UInt64 = 0
        (sum.0, carry) = Self.add(sum.0, limbs[0], carry)
        (sum.1, carry) = Self.add(sum.1, limbs[1], carry)
        (sum.2, carry) = Self.add(sum.2, limbs[2], carry)
        (sum.3, _) = Self.add(sum.3, limbs[3], carry)
        rows += 1
    }

    private static func add(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (partial, first) = a.addingReportingOverflow(b)
        let (total, second) = partial.addingReportingOverflow(carry)
        return (total, (first ? 1 : 0) + (second ? 1 : 0))
    }

    /// Lower-case hex.
    var checksum: String {
        var hasher = SHA256()
        hasher.update(data: Array("paperboy-table-checksum-1\0\(table)\0".utf8))
        var header: [UInt8] = []
        CanonicalRow.appendInteger(UInt64(rows), to: &header)
        for limb in [sum.3, sum.2, sum.1, sum.0] { CanonicalRow.appendInteger(limb, to: &header) }
        hasher.update(data: header)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// One spelling per row: per value a tag byte, then a big-endian integer, a double's bits
/// (one zero, one NaN), or a length and the UTF-8 or blob bytes.
enum CanonicalRow {
    static func encode(_ row: [CellValue], into out: inout [UInt8]) {
        for value in row {
            switch value {
            case .null:
                out.append(0)
            case .integer(let number):
                out.append(1)
                appendInteger(UInt64(bitPattern: number), to: &out)
            case .real(let number):
                out.append(2)
                let canonical = number.isNaN ? Double.nan : (number == 0 ? 0 : number)
                appendInteger(canonical.bitPattern, to: &out)
            case .text(let text):
                out.append(3)
                appendInteger(UInt64(text.utf8.count), to: &out)
                out.append(contentsOf: text.utf8)
            case .blob(let data):
                out.append(4)
                appendInteger(UInt64(data.count), to: &out)
                out.append(contentsOf: data)
            }
        }
    }

    static func appendInteger(_ number: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: number.bigEndian) { out.append(contentsOf: $0) }
    }
}

extension ContinuousClock.Instant {
    var secondsUntilNow: Double {
        let elapsed = ContinuousClock.now - self
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

extension StoreCopier {
    /// Opens both stores, copies, and closes them. A SQLite source must exist (opening one
    /// makes an empty database, and copying that would hide a typo); a target is made if
    /// missing, and migrated.
    public func copy(from source: StoreLocation, to target: StoreLocation, logger: Logger? = nil) async throws -> StoreCopyReport {
        if case .sqlite(let path) = source, !FileManager.default.fileExists(atPath: path) {
            throw StoreCopyError.sourceMissing(path)
        }
        if let same = Self.sameDatabase(source, target) { throw StoreCopyError.sameStore(same) }
        let from = try await Self.open(source, logger: logger)
        do {
            let to = try await Self.open(target, logger: logger)
            do {
                let report = try await copy(from: from, to: to)
                await to.close()
                await from.close()
                return report
            } catch {
                await to.close()
                throw error
            }
        } catch {
            await from.close()
            throw error
        }
    }

    private static func open(_ location: StoreLocation, logger: Logger?) async throws -> any TableTransferStore & StoreConnection {
        switch location {
        case .sqlite(let path):
            return try SQLitePaperStore(path: path)
        case .postgres(let url):
            if let logger { return try await PostgresPaperStore.open(url: url, logger: logger) }
            return try await PostgresPaperStore.open(url: url)
        }
    }

    /// The same file (whatever the path's spelling or links), or the same server and database
    /// as far as the URLs tell.
    static func sameDatabase(_ first: StoreLocation, _ second: StoreLocation) -> String? {
        switch (first, second) {
        case (.sqlite(let a), .sqlite(let b)):
            let resolvedA = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            let resolvedB = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
            if resolvedA == resolvedB { return a }
            guard let fileA = try? FileManager.default.attributesOfItem(atPath: resolvedA),
                let fileB = try? FileManager.default.attributesOfItem(atPath: resolvedB),
                let nodeA = fileA[.systemFileNumber] as? Int, let nodeB = fileB[.systemFileNumber] as? Int,
                let deviceA = fileA[.systemNumber] as? Int, let deviceB = fileB[.systemNumber] as? Int
            else { return nil }
            return nodeA == nodeB && deviceA == deviceB ? a : nil
        case (.postgres(let a), .postgres(let b)):
            guard let serverA = server(a), serverA == server(b) else { return nil }
            return serverA
        default:
            return nil
        }
    }

    /// host:port/database of a postgres:// URL, for comparing.
    private static func server(_ url: String) -> String? {
        guard let components = URLComponents(string: url) else { return nil }
        let host = (components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1").lowercased()
        let database = String(components.path.drop(while: { $0 == "/" }))
        return "\(host == "localhost" ? "127.0.0.1" : host):\(components.port ?? 5432)/\(database)"
    }

    /// What the factory gives each PostgreSQL store for `backup(to:)`: this copy into a new
    /// SQLite store at `path`, made one checked, self-contained file.
    static let sqliteFileWriter: SQLiteCopyWriter = { source, path in
        try await SQLitePaperStore.writeStandaloneFile(at: path) { target in
            let report = try await StoreCopier().copy(from: source, to: target)
            return Dictionary(uniqueKeysWithValues: report.tables.map { ($0.table, $0.rows) })
        }
    }
}
