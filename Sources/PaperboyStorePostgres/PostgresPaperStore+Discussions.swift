import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: DiscussionStore {
    public func addComment(paperID: String, parentID: Int64?, by readerID: Int64, body: String) async throws -> Comment {
        try await transaction { connection in
            let paper = try await connection.query("SELECT 1 FROM papers WHERE id = \(paperID)", logger: self.logger).collect()
            guard !paper.isEmpty else { throw DiscussionError.unknownPaper }
            var threadID: Int64?
            if let parentID {
                let parents = try await connection.query(
                    """
                    SELECT parent_id FROM comments
                    WHERE id = \(parentID) AND paper_id = \(paperID) AND deleted_at IS NULL AND hidden_at IS NULL
                    """,
                    logger: self.logger
                ).collect()
                guard let parent = parents.first else { throw DiscussionError.unknownParent }
                threadID = try parent.makeRandomAccess()["parent_id"].decode(Int64?.self) ?? parentID
            }
            let inserted = try await connection.query(
                """
                INSERT INTO comments (paper_id, parent_id, user_id, body, created_at)
                VALUES (\(paperID), \(threadID), \(readerID), \(body), \(self.nowStamp)) RETURNING id
                """,
                logger: self.logger
            ).collect()
            let id = try inserted.first?.makeRandomAccess()[0].decode(Int64.self) ?? 0
            try await self.countComment(paperID: paperID, by: 1, on: connection)
            guard let comment = try await self.fetchComment(id: id, on: connection) else { throw DiscussionError.unknownPaper }
            return comment
        }
    }

    public func comments(onPaper paperID: String) async throws -> [Comment] {
        try await rows("\(unescaped: Self.commentSelect) WHERE c.paper_id = \(paperID) ORDER BY c.id").map(Self.decodeComment)
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await firstRow("\(unescaped: Self.commentSelect) WHERE c.id = \(id)").map(Self.decodeComment)
    }

    public func editComment(id: Int64, body: String) async throws -> Bool {
        try await transaction { connection in
            let changed = try await connection.query(
                "UPDATE comments SET body = \(body), edited_at = \(self.nowStamp) WHERE id = \(id) AND deleted_at IS NULL RETURNING 1",
                logger: self.logger
            ).collect()
            guard !changed.isEmpty else { return false }
            _ = try await self.nextRevision(connection)
            return true
        }
    }

    public func deleteComment(id: Int64) async throws -> Bool {
        try await transaction { connection in
            guard let comment = try await self.fetchComment(id: id, on: connection, forUpdate: true), comment.deletedAt == nil else {
                return false
            }
            try await connection.query("UPDATE comments SET deleted_at = \(self.nowStamp) WHERE id = \(id)", logger: self.logger)
            if comment.hiddenAt == nil {
                try await self.countComment(paperID: comment.paperID, by: -1, on: connection)
            } else {
                _ = try await self.nextRevision(connection)
            }
            return true
        }
    }

    public func setCommentHidden(id: Int64, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        try await transaction { connection in
            guard let comment = try await self.fetchComment(id: id, on: connection, forUpdate: true) else { return nil }
            guard (comment.hiddenAt != nil) != hidden else { return false }
            let now = self.nowStamp
            let hiddenAt: String? = hidden ? now : nil
            try await connection.query("UPDATE comments SET hidden_at = \(hiddenAt) WHERE id = \(id)", logger: self.logger)
            if hidden {
                try await connection.query(
                    "UPDATE comment_reports SET resolved_at = \(now) WHERE comment_id = \(id) AND resolved_at IS NULL",
                    logger: self.logger
                )
            }
            if comment.deletedAt == nil {
                try await self.countComment(paperID: comment.paperID, by: hidden ? -1 : 1, on: connection)
            } else {
                _ = try await self.nextRevision(connection)
            }
            try await self.log(hidden ? .hideComment : .unhideComment, target: String(id), detail: comment.paperID, by: actor, on: connection)
            return true
        }
    }

    public func reportComment(id: Int64, by readerID: Int64, reason: String) async throws -> Bool {
        let inserted = try await rows(
            """
            INSERT INTO comment_reports (comment_id, user_id, reason, created_at)
            VALUES (\(id), \(readerID), \(reason), \(nowStamp)) ON CONFLICT DO NOTHING RETURNING 1
            """
        )
        return !inserted.isEmpty
    }

    public func dismissReports(commentID: Int64, by actor: AdminActor) async throws -> Int {
        try await transaction { connection in
            let settled = try await connection.query(
                """
                UPDATE comment_reports SET resolved_at = \(self.nowStamp)
                WHERE comment_id = \(commentID) AND resolved_at IS NULL RETURNING 1
                """,
                logger: self.logger
            ).collect().count
            if settled > 0 {
                let paper = try await connection.query("SELECT paper_id FROM comments WHERE id = \(commentID)", logger: self.logger).collect()
                let paperID = try paper.first?.makeRandomAccess()[0].decode(String.self)
                try await self.log(.dismissReports, target: String(commentID), detail: paperID, by: actor, on: connection)
            }
            return settled
        }
    }

    public func reportedComments(limit: Int) async throws -> [ReportedComment] {
        let reported = try await rows(
            """
            SELECT comment_id, max(created_at) AS last_at,
                array_agg(reason ORDER BY created_at, user_id) AS reasons
            FROM comment_reports WHERE resolved_at IS NULL
            GROUP BY comment_id ORDER BY last_at DESC, comment_id DESC LIMIT \(limit)
            """
        )
        var result: [ReportedComment] = []
        for row in reported {
            guard let comment = try await comment(id: try row["comment_id"].decode(Int64.self)) else { continue }
            result.append(
                ReportedComment(
                    comment: comment,
                    reasons: try row["reasons"].decode([String].self),
                    lastReportedAt: try row["last_at"].decode(String.self)
                )
            )
        }
        return result
    }

    public func commentActivity(of readerID: Int64, since: String) async throws -> CommentActivity? {
        guard
            let row = try await firstRow(
                """
                SELECT u.created_at,
                    (SELECT count(*) FROM comments c WHERE c.user_id = u.id AND c.created_at >= \(since)) AS recent
                FROM users u WHERE u.id = \(readerID)
                """
            )
        else { return nil }
        return CommentActivity(commentsSince: try row["recent"].decode(Int.self), joinedAt: try row["created_at"].decode(String.self))
    }

    // MARK: - Rows

    /// A comment row with its author's name and its count of open reports.
    static let commentSelect = """
        SELECT c.*, u.name AS author_name, u.display_name AS author_display_name,
            (SELECT count(*) FROM comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL) AS open_reports
        FROM comments c JOIN users u ON u.id = c.user_id
        """

    private func fetchComment(id: Int64, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> Comment? {
        let query: PostgresQuery =
            forUpdate
            ? "\(unescaped: Self.commentSelect) WHERE c.id = \(id) FOR UPDATE OF c"
            : "\(unescaped: Self.commentSelect) WHERE c.id = \(id)"
        let rows = try await connection.query(query, logger: logger).collect()
        return try rows.first.map { try Self.decodeComment($0.makeRandomAccess()) }
    }

    static func decodeComment(_ row: PostgresRandomAccessRow) throws -> Comment {
        var comment = Comment(
            id: try row["id"].decode(Int64.self),
            paperID: try row["paper_id"].decode(String.self),
            parentID: try row["parent_id"].decode(Int64?.self),
            authorID: try row["user_id"].decode(Int64.self),
            authorName: try row["author_name"].decode(String.self),
            body: try row["body"].decode(String.self),
            createdAt: try row["created_at"].decode(String.self),
            editedAt: try row["edited_at"].decode(String?.self),
            deletedAt: try row["deleted_at"].decode(String?.self),
            hiddenAt: try row["hidden_at"].decode(String?.self),
            openReports: try row["open_reports"].decode(Int.self)
        )
        comment.authorDisplayName = try row["author_display_name"].decode(String?.self)
        return comment
    }

    /// Moves the paper's count of visible comments, as a change readers see.
    private func countComment(paperID: String, by delta: Int, on connection: PostgresConnection) async throws {
        let revision = try await nextRevision(connection)
        try await connection.query(
            "UPDATE papers SET local_comments = local_comments + \(delta), revision = \(revision) WHERE id = \(paperID)",
            logger: logger
        )
    }
}
