import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: CollectionStore {
    public func createCollection(owner readerID: Int64, name: String, description: String, isPublic: Bool) async throws -> PaperCollection {
        let now = nowStamp
        let id = try await scalar(
            """
            INSERT INTO collections (user_id, name, description, is_public, created_at, updated_at)
            VALUES (\(readerID), \(name), \(description), \(isPublic ? 1 : 0), \(now), \(now)) RETURNING id
            """,
            as: Int64.self
        )
        guard let id, let collection = try await collection(id: id) else { throw CollectionError.unknownCollection }
        return collection
    }

    public func collection(id: Int64) async throws -> PaperCollection? {
        try await firstRow("\(unescaped: Self.collectionSelect) WHERE c.id = \(id)").map(Self.decodeCollection)
    }

    public func collections(of readerID: Int64, includingPrivate: Bool) async throws -> [PaperCollection] {
        try await rows(
            """
            \(unescaped: Self.collectionSelect) WHERE c.user_id = \(readerID) AND (c.is_public = 1 OR \(includingPrivate))
            ORDER BY c.updated_at DESC, c.id DESC
            """
        ).map(Self.decodeCollection)
    }

    public func updateCollection(id: Int64, name: String?, description: String?, isPublic: Bool?) async throws -> Bool {
        let visibility: Int? = isPublic.map { $0 ? 1 : 0 }
        let changed = try await rows(
            """
            UPDATE collections SET name = coalesce(\(name), name), description = coalesce(\(description), description),
                is_public = coalesce(\(visibility), is_public), updated_at = \(nowStamp) WHERE id = \(id) RETURNING 1
            """
        )
        return !changed.isEmpty
    }

    public func deleteCollection(id: Int64) async throws -> Bool {
        !(try await rows("DELETE FROM collections WHERE id = \(id) RETURNING 1")).isEmpty
    }

    public func items(ofCollection id: Int64) async throws -> [CollectionItem] {
        try await rows(
            """
            SELECT p.*, i.position, i.note, i.added_at FROM collection_items i JOIN papers p ON p.id = i.paper_id
            WHERE i.collection_id = \(id) ORDER BY i.position
            """
        ).map { row in
            CollectionItem(
                paper: try PostgresPaperRow.decode(row),
                position: try row["position"].decode(Int.self),
                note: try row["note"].decode(String?.self),
                addedAt: try row["added_at"].decode(String.self)
            )
        }
    }

    public func addPaper(_ paperID: String, toCollection id: Int64, note: String?) async throws -> Bool {
        try await transaction { connection in
            // The collection's row is locked, so two additions at once take different positions.
            let collection = try await connection.query("SELECT 1 FROM collections WHERE id = \(id) FOR UPDATE", logger: self.logger).collect()
            guard !collection.isEmpty else { throw CollectionError.unknownCollection }
            let paper = try await connection.query("SELECT 1 FROM papers WHERE id = \(paperID)", logger: self.logger).collect()
            guard !paper.isEmpty else { throw CollectionError.unknownPaper }
            let now = self.nowStamp
            let inserted = try await connection.query(
                """
                INSERT INTO collection_items (collection_id, paper_id, position, note, added_at)
                VALUES (\(id), \(paperID), (SELECT count(*) FROM collection_items WHERE collection_id = \(id)), \(note), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """,
                logger: self.logger
            ).collect()
            guard !inserted.isEmpty else { return false }
            try await self.touch(id, now: now, on: connection)
            return true
        }
    }

    public func removePaper(_ paperID: String, fromCollection id: Int64) async throws -> Bool {
        try await transaction { connection in
            guard let position = try await self.lockedPosition(of: paperID, in: id, on: connection) else { return false }
            try await connection.query(
                "DELETE FROM collection_items WHERE collection_id = \(id) AND paper_id = \(paperID)",
                logger: self.logger
            )
            try await connection.query(
                "UPDATE collection_items SET position = position - 1 WHERE collection_id = \(id) AND position > \(position)",
                logger: self.logger
            )
            try await self.touch(id, now: self.nowStamp, on: connection)
            return true
        }
    }

    public func setNote(_ note: String?, onPaper paperID: String, inCollection id: Int64) async throws -> Bool {
        try await transaction { connection in
            let changed = try await connection.query(
                "UPDATE collection_items SET note = \(note) WHERE collection_id = \(id) AND paper_id = \(paperID) RETURNING 1",
                logger: self.logger
            ).collect()
            guard !changed.isEmpty else { return false }
            try await self.touch(id, now: self.nowStamp, on: connection)
            return true
        }
    }

    public func movePaper(_ paperID: String, inCollection id: Int64, to position: Int) async throws -> Bool {
        try await transaction { connection in
            guard let from = try await self.lockedPosition(of: paperID, in: id, on: connection) else { return false }
            let counted = try await connection.query(
                "SELECT count(*) FROM collection_items WHERE collection_id = \(id)",
                logger: self.logger
            ).collect()
            let count = try counted.first?.makeRandomAccess()[0].decode(Int.self) ?? 0
            let to = min(max(position, 0), count - 1)
            guard to != from else { return true }
            let shift: PostgresQuery =
                to < from
                ? """
                UPDATE collection_items SET position = position + 1
                WHERE collection_id = \(id) AND position >= \(to) AND position < \(from)
                """
                : """
                UPDATE collection_items SET position = position - 1
                WHERE collection_id = \(id) AND position > \(from) AND position <= \(to)
                """
            try await connection.query(shift, logger: self.logger)
            try await connection.query(
                "UPDATE collection_items SET position = \(to) WHERE collection_id = \(id) AND paper_id = \(paperID)",
                logger: self.logger
            )
            try await self.touch(id, now: self.nowStamp, on: connection)
            return true
        }
    }

    public func collectionIDs(of readerID: Int64, containing paperID: String) async throws -> Set<Int64> {
        let found = try await rows(
            """
            SELECT c.id FROM collections c JOIN collection_items i ON i.collection_id = c.id
            WHERE c.user_id = \(readerID) AND i.paper_id = \(paperID)
            """
        )
        return Set(try found.map { try $0["id"].decode(Int64.self) })
    }

    // MARK: - Rows

    static let collectionSelect = """
        SELECT c.*, u.name AS owner_name,
            (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id) AS paper_count
        FROM collections c JOIN users u ON u.id = c.user_id
        """

    static func decodeCollection(_ row: PostgresRandomAccessRow) throws -> PaperCollection {
        PaperCollection(
            id: try row["id"].decode(Int64.self),
            ownerID: try row["user_id"].decode(Int64.self),
            ownerName: try row["owner_name"].decode(String.self),
            name: try row["name"].decode(String.self),
            description: try row["description"].decode(String.self),
            isPublic: try row["is_public"].decode(Int.self) != 0,
            createdAt: try row["created_at"].decode(String.self),
            updatedAt: try row["updated_at"].decode(String.self),
            paperCount: try row["paper_count"].decode(Int.self)
        )
    }

    /// The paper's position, with the collection's row locked for the rest of the transaction.
    private func lockedPosition(of paperID: String, in id: Int64, on connection: PostgresConnection) async throws -> Int? {
        _ = try await connection.query("SELECT 1 FROM collections WHERE id = \(id) FOR UPDATE", logger: logger).collect()
        let rows = try await connection.query(
            "SELECT position FROM collection_items WHERE collection_id = \(id) AND paper_id = \(paperID)",
            logger: logger
        ).collect()
        return try rows.first?.makeRandomAccess()[0].decode(Int.self)
    }

    private func touch(_ id: Int64, now: String, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE collections SET updated_at = \(now) WHERE id = \(id)", logger: logger)
    }
}
