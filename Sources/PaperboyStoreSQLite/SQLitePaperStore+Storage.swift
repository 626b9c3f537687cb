import Foundation
import GRDB
import PaperboyStore

extension SQLitePaperStore {
    /// The main file plus the WAL, read from the file system: the WAL can grow far past the
    /// main file between checkpoints, and `page_count` would miss it.
    public func storageSize() async throws -> Int {
        [pool.path, pool.path + "-wal"].reduce(0) { total, path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}

extension SQLitePaperStore: StoreConnection {
    public var backendName: String { "sqlite" }

    /// GRDB closes the pool when the store is released.
    public func close() async {}

    public func poolState() async throws -> PoolState? { nil }

    public func papersPending(after position: RevisionPosition) async throws -> Int {
        let (condition, arguments): (String, StatementArguments) =
            if let id = position.id {
                ("(revision, id) > (?, ?)", [position.revision, id])
            } else {
                ("revision > ?", [position.revision])
            }
        return try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM papers WHERE \(condition)", arguments: arguments) ?? 0
        }
    }
}
