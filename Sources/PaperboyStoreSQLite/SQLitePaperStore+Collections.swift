import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: CollectionStore {
    public func createCollection(owner readerID: Int64, name: String, description: String, isPublic: Bool) async throws -> PaperCollection {
        try await pool.write { db in
            let now = self.nowStamp
            try db.execute(
                sql: "INSERT INTO collections (user_id, name, description, is_public, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [readerID, name, description, isPublic, now, now]
            )
            return try Self.fetchCollection(id: db.lastInsertedRowID, db: db)!
        }
    }

    public func collection(id: Int64) async throws -> PaperCollection? {
        try await pool.read { db in try Self.fetchCollection(id: id, db: db) }
    }

    public func collections(of readerID: Int64, includingPrivate: Bool) async throws -> [PaperCollection] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "\(Self.collectionSelect) WHERE c.user_id = ? AND (c.is_public OR ?) ORDER BY c.updated_at DESC, c.id DESC",
                arguments: [readerID, includingPrivate]
            ).map(Self.decodeCollection)
        }
    }

    public func updateCollection(id: Int64, name: String?, description: String?, isPublic: Bool?) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE collections SET name = coalesce(?, name), description = coalesce(?, description),
                        is_public = coalesce(?, is_public), updated_at = ? WHERE id = ?
                    """,
                arguments: [name, description, isPublic, self.nowStamp, id]
            )
            return db.changesCount > 0
        }
    }

    public func deleteCollection(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM collection_items WHERE collection_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func items(ofCollection id: Int64) async throws -> [CollectionItem] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.*, i.position, i.note, i.added_at FROM collection_items i JOIN papers p ON p.id = i.paper_id
                    WHERE i.collection_id = ? ORDER BY i.position
                    """,
                arguments: [id]
            ).map { row in
                CollectionItem(paper: try PaperRow.decode(row), position: row["position"], note: row["note"], addedAt: row["added_at"])
            }
        }
    }

    public func addPaper(_ paperID: String, toCollection id: Int64, note: String?) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM collections WHERE id = ?", arguments: [id]) == true else {
                throw CollectionError.unknownCollection
            }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM papers WHERE id = ?", arguments: [paperID]) == true else {
                throw CollectionError.unknownPaper
            }
            let now = self.nowStamp
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO collection_items (collection_id, paper_id, position, note, added_at)
                    VALUES (?, ?, (SELECT count(*) FROM collection_items WHERE collection_id = ?), ?, ?)
                    """,
                arguments: [id, paperID, id, note, now]
            )
            guard db.changesCount > 0 else { return false }
            try Self.touch(id, now: now, db: db)
            return true
        }
    }

    public func removePaper(_ paperID: String, fromCollection id: Int64) async throws -> Bool {
        try await pool.write { db in
            guard let position = try Self.position(of: paperID, in: id, db: db) else { return false }
            try db.execute(sql: "DELETE FROM collection_items WHERE collection_id = ? AND paper_id = ?", arguments: [id, paperID])
            try db.execute(
                sql: "UPDATE collection_items SET position = position - 1 WHERE collection_id = ? AND position > ?",
                arguments: [id, position]
            )
            try Self.touch(id, now: self.nowStamp, db: db)
            return true
        }
    }

    public func setNote(_ note: String?, onPaper paperID: String, inCollection id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE collection_items SET note = ? WHERE collection_id = ? AND paper_id = ?",
                arguments: [note, id, paperID]
            )
            guard db.changesCount > 0 else { return false }
            try Self.touch(id, now: self.nowStamp, db: db)
            return true
        }
    }

    public func movePaper(_ paperID: String, inCollection id: Int64, to position: Int) async throws -> Bool {
        try await pool.write { db in
            guard let from = try Self.position(of: paperID, in: id, db: db) else { return false }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM collection_items WHERE collection_id = ?", arguments: [id]) ?? 0
            let to = min(max(position, 0), count - 1)
            guard to != from else { return true }
            if to < from {
                try db.execute(
                    sql: "UPDATE collection_items SET position = position + 1 WHERE collection_id = ? AND position >= ? AND position < ?",
                    arguments: [id, to, from]
                )
            } else {
                try db.execute(
                    sql: "UPDATE collection_items SET position = position - 1 WHERE collection_id = ? AND position > ? AND position <= ?",
                    arguments: [id, from, to]
                )
            }
            try db.execute(
                sql: "UPDATE collection_items SET position = ? WHERE collection_id = ? AND paper_id = ?",
                arguments: [to, id, paperID]
            )
            try Self.touch(id, now: self.nowStamp, db: db)
            return true
        }
    }

    public func collectionIDs(of readerID: Int64, containing paperID: String) async throws -> Set<Int64> {
        try await pool.read { db in
            Set(
                try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT c.id FROM collections c JOIN collection_items i ON i.collection_id = c.id
                        WHERE c.user_id = ? AND i.paper_id = ?
                        """,
                    arguments: [readerID, paperID]
                )
            )
        }
    }

    // MARK: - Rows

    static let collectionSelect = """
        SELECT c.*, u.name AS owner_name,
            (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id) AS paper_count
        FROM collections c JOIN users u ON u.id = c.user_id
        """

    static func fetchCollection(id: Int64, db: Database) throws -> PaperCollection? {
        try Row.fetchOne(db, sql: "\(collectionSelect) WHERE c.id = ?", arguments: [id]).map(decodeCollection)
    }

    static func decodeCollection(_ row: Row) -> PaperCollection {
        PaperCollection(
            id: row["id"],
            ownerID: row["user_id"],
            ownerName: row["owner_name"],
            name: row["name"],
            description: row["description"],
            isPublic: row["is_public"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"],
            paperCount: row["paper_count"]
        )
    }

    private static func position(of paperID: String, in id: Int64, db: Database) throws -> Int? {
        try Int.fetchOne(
            db,
            sql: "SELECT position FROM collection_items WHERE collection_id = ? AND paper_id = ?",
            arguments: [id, paperID]
        )
    }

    private static func touch(_ id: Int64, now: String, db: Database) throws {
        try db.execute(sql: "UPDATE collections SET updated_at = ? WHERE id = ?", arguments: [now, id])
    }
}
