import Foundation
import PaperboyCore

/// Discussions on papers: comments and one level of replies, their edits, soft deletes,
/// reports and moderation. Nothing is ever removed: a deleted comment keeps its row with
/// `deletedAt`, a hidden one with `hiddenAt`. Each write is one transaction that also keeps
/// the paper's count of visible comments (`Paper.localComments`) and marks the change.
public protocol DiscussionStore: Sendable {
    /// Stores a comment, or a reply when `parentID` is set. A reply to a reply joins the
    /// thread of the top-level comment. Fails with `DiscussionError.unknownPaper`, or
    /// `.unknownParent` when the parent is not a visible comment on the same paper.
    func addComment(paperID: String, parentID: Int64?, by readerID: Int64, body: String) async throws -> Comment

    /// Every comment on a paper, deleted and hidden ones included, oldest first.
    func comments(onPaper paperID: String) async throws -> [Comment]

    func comment(id: Int64) async throws -> Comment?

    /// Replaces a comment's text and stamps `editedAt`; false when it is gone or deleted.
    func editComment(id: Int64, body: String) async throws -> Bool

    /// Marks a comment deleted; false when it already was (or does not exist).
    func deleteComment(id: Int64) async throws -> Bool

    /// Hides a comment from readers, or shows it again, and logs the action; hiding settles
    /// its open reports. Nil when there is no such comment, false when it already was so.
    func setCommentHidden(id: Int64, _ hidden: Bool, by actor: AdminActor) async throws -> Bool?

    /// Records a reader's report of a comment; false when they had reported it already.
    func reportComment(id: Int64, by readerID: Int64, reason: String) async throws -> Bool

    /// Settles a comment's open reports without hiding it, and logs it; the number settled.
    func dismissReports(commentID: Int64, by actor: AdminActor) async throws -> Int

    /// Comments with open reports, most recently reported first.
    func reportedComments(limit: Int) async throws -> [ReportedComment]

    /// How many comments the reader wrote at or after `since` (ISO 8601), and when they
    /// signed up; nil for an unknown reader.
    func commentActivity(of readerID: Int64, since: String) async throws -> CommentActivity?
}

public struct Comment: Sendable, Equatable {
    public var id: Int64
    public var paperID: String
    /// The top-level comment this one replies to; nil for a top-level comment.
    public var parentID: Int64?
    public var authorID: Int64
    public var authorName: String
    /// The author's display name, when they chose one.
    public var authorDisplayName: String? = nil
    /// Markdown, as written.
    public var body: String
    /// ISO 8601, UTC.
    public var createdAt: String
    public var editedAt: String?
    public var deletedAt: String?
    public var hiddenAt: String?
    /// Reports not yet settled by a moderator.
    public var openReports: Int

    public init(
        id: Int64,
        paperID: String,
        parentID: Int64?,
        authorID: Int64,
        authorName: String,
        body: String,
        createdAt: String,
        editedAt: String? = nil,
        deletedAt: String? = nil,
        hiddenAt: String? = nil,
        openReports: Int = 0
    ) {
        self.id = id
        self.paperID = paperID
        self.parentID = parentID
        self.authorID = authorID
        self.authorName = authorName
        self.body = body
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
        self.hiddenAt = hiddenAt
        self.openReports = openReports
    }

    /// Shown to readers and counted: neither deleted nor hidden.
    public var isVisible: Bool { deletedAt == nil && hiddenAt == nil }
}

/// A comment with open reports, as moderators see it.
public struct ReportedComment: Sendable, Equatable {
    public var comment: Comment
    /// Each open report's reason, oldest first.
    public var reasons: [String]
    /// ISO 8601, UTC: the newest open report.
    public var lastReportedAt: String

    public init(comment: Comment, reasons: [String], lastReportedAt: String) {
        self.comment = comment
        self.reasons = reasons
        self.lastReportedAt = lastReportedAt
    }
}

public struct CommentActivity: Sendable, Equatable {
    public var commentsSince: Int
    /// ISO 8601, UTC.
    public var joinedAt: String

    public init(commentsSince: Int, joinedAt: String) {
        self.commentsSince = commentsSince
        self.joinedAt = joinedAt
    }
}

public enum DiscussionError: Error, Equatable {
    case unknownPaper
    case unknownParent
}
