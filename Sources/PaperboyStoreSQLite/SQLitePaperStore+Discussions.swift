import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore: DiscussionStore {
    public func addComment(paperID: String, parentID: Int64?, by readerID: Int64, body: String) async throws -> Comment {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM papers WHERE id = ?", arguments: [paperID]) == true else {
                throw DiscussionError.unknownPaper
            }
            var threadID: Int64?
            if let parentID {
                guard
                    let parent = try Row.fetchOne(
                        db,
                        sql: "SELECT parent_id FROM comments WHERE id = ? AND paper_id = ? AND deleted_at IS NULL AND hidden_at IS NULL",
                        arguments: [parentID, paperID]
                    )
                else { throw DiscussionError.unknownParent }
                threadID = (parent["parent_id"] as Int64?) ?? parentID
            }
            let created = self.nowStamp
            try db.execute(
                sql: "INSERT INTO comments (paper_id, parent_id, user_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [paperID, threadID, readerID, body, created]
            )
            let id = db.lastInsertedRowID
            try Self.countComment(paperID: paperID, by: 1, db: db)
            return try Self.fetchComment(id: id, db: db)!
        }
    }

    public func comments(onPaper paperID: String) async throws -> [Comment] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.commentSelect) WHERE c.paper_id = ? ORDER BY c.id", arguments: [paperID])
                .map(Self.decodeComment)
        }
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await pool.read { db in try Self.fetchComment(id: id, db: db) }
    }

    public func editComment(id: Int64, body: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE comments SET body = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL",
                arguments: [body, self.nowStamp, id]
            )
            guard db.changesCount > 0 else { return false }
            _ = try Self.nextRevision(db)
            return true
        }
    }

    public func deleteComment(id: Int64) async throws -> Bool {
        try await pool.write { db in
            guard let comment = try Self.fetchComment(id: id, db: db), comment.deletedAt == nil else { return false }
            try db.execute(sql: "UPDATE comments SET deleted_at = ? WHERE id = ?", arguments: [self.nowStamp, id])
            if comment.hiddenAt == nil {
                try Self.countComment(paperID: comment.paperID, by: -1, db: db)
            } else {
                _ = try Self.nextRevision(db)
            }
            return true
        }
    }

    public func setCommentHidden(id: Int64, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await pool.write { db in
            guard let comment = try Self.fetchComment(id: id, db: db) else { return nil }
            guard (comment.hiddenAt != nil) != hidden else { return false }
            let now = self.nowStamp
            try db.execute(sql: "UPDATE comments SET hidden_at = ? WHERE id = ?", arguments: [hidden ? now : nil, id])
            if hidden {
                try db.execute(
                    sql: "UPDATE comment_reports SET resolved_at = ? WHERE comment_id = ? AND resolved_at IS NULL",
                    arguments: [now, id]
                )
            }
            if comment.deletedAt == nil {
                try Self.countComment(paperID: comment.paperID, by: hidden ? -1 : 1, db: db)
            } else {
                _ = try Self.nextRevision(db)
            }
            try self.log(hidden ? .hideComment : .unhideComment, target: String(id), detail: comment.paperID, by: actor, db: db)
            return true
        }
    }

    public func reportComment(id: Int64, by readerID: Int64, reason: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO comment_reports (comment_id, user_id, reason, created_at) VALUES (?, ?, ?, ?)",
                arguments: [id, readerID, reason, self.nowStamp]
            )
            return db.changesCount > 0
        }
    }

    public func dismissReports(commentID: Int64, by actor: AdminActor) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE comment_reports SET resolved_at = ? WHERE comment_id = ? AND resolved_at IS NULL",
                arguments: [self.nowStamp, commentID]
            )
            let settled = db.changesCount
            if settled > 0 {
                let paperID = try String.fetchOne(db, sql: "SELECT paper_id FROM comments WHERE id = ?", arguments: [commentID])
                try self.log(.dismissReports, target: String(commentID), detail: paperID, by: actor, db: db)
            }
            return settled
        }
    }

    public func reportedComments(limit: Int) async throws -> [ReportedComment] {
        try await pool.read { db in
            let reported = try Row.fetchAll(
                db,
                sql: """
                    SELECT comment_id, max(created_at) AS last_at FROM comment_reports WHERE resolved_at IS NULL
                    GROUP BY comment_id ORDER BY last_at DESC, comment_id DESC LIMIT ?
                    """,
                arguments: [limit]
            )
            return try reported.compactMap { row -> ReportedComment? in
                let id: Int64 = row["comment_id"]
                guard let comment = try Self.fetchComment(id: id, db: db) else { return nil }
                let reasons = try String.fetchAll(
                    db,
                    sql: "SELECT reason FROM comment_reports WHERE comment_id = ? AND resolved_at IS NULL ORDER BY created_at, user_id",
                    arguments: [id]
                )
                return ReportedComment(comment: comment, reasons: reasons, lastReportedAt: row["last_at"])
            }
        }
    }

    public func commentActivity(of readerID: Int64, since: String) async throws -> CommentActivity? {
        try await pool.read { db in
            guard let joined = try String.fetchOne(db, sql: "SELECT created_at FROM users WHERE id = ?", arguments: [readerID]) else {
                return nil
            }
            let count =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM comments WHERE user_id = ? AND created_at >= ?",
                    arguments: [readerID, since]
                ) ?? 0
            return CommentActivity(commentsSince: count, joinedAt: joined)
        }
    }

    // MARK: - Rows

    /// A comment row with its author's name and its count of open reports.
    static let commentSelect = """
        SELECT c.*, u.name AS author_name, u.display_name AS author_display_name,
            (SELECT count(*) FROM comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL) AS open_reports
        FROM comments c JOIN users u ON u.id = c.user_id
        """

    static func fetchComment(id: Int64, db: Database) throws -> Comment? {
        try Row.fetchOne(db, sql: "\(commentSelect) WHERE c.id = ?", arguments: [id]).map(decodeComment)
    }

    static func decodeComment(_ row: Row) -> Comment {
        var comment = Comment(
            id: row["id"],
            paperID: row["paper_id"],
            parentID: row["parent_id"],
            authorID: row["user_id"],
            authorName: row["author_name"],
            body: row["body"],
            createdAt: row["created_at"],
            editedAt: row["edited_at"],
            deletedAt: row["deleted_at"],
            hiddenAt: row["hidden_at"],
            openReports: row["open_reports"]
        )
        comment.authorDisplayName = row["author_display_name"]
        return comment
    }

    /// Moves the paper's count of visible comments, as a change readers see.
    private static func countComment(paperID: String, by delta: Int, db: Database) throws {
        let revision = try nextRevision(db)
        try db.execute(
            sql: "UPDATE papers SET local_comments = local_comments + ?, revision = ? WHERE id = ?",
            arguments: [delta, revision, paperID]
        )
    }
}
