import Foundation
import PaperboyCore
import PaperboyStore

/// Discussions on paper pages and in the API: comments with one level of replies, written in
/// Markdown (`CommentMarkdown`), edited by their authors for a while, deleted (the row stays),
/// reported by readers, and hidden by moderators (readers with the admin role), who see what
/// is hidden and what is reported.
///
/// Limits: a comment's length, comments per reader per hour, and fewer for accounts younger
/// than a day, so that a new account cannot flood a page.
public struct DiscussionService: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxLength: Int
        public var perHour: Int
        public var perHourForNewAccounts: Int
        /// Accounts younger than this are new.
        public var newAccountAge: Duration
        /// How long after posting its author may edit a comment.
        public var editWindow: Duration

        public init(
            maxLength: Int = 5_000,
            perHour: Int = 20,
            perHourForNewAccounts: Int = 5,
            newAccountAge: Duration = .seconds(24 * 3600),
            editWindow: Duration = .seconds(15 * 60)
        ) {
            self.maxLength = maxLength
            self.perHour = perHour
            self.perHourForNewAccounts = perHourForNewAccounts
            self.newAccountAge = newAccountAge
            self.editWindow = editWindow
        }
    }

    /// Why a reader may report a comment; the form's choices and the API's `reason`.
    public static let reportReasons = ["spam", "abuse", "off-topic", "other"]

    let store: any DiscussionStore & CurationStore & PaperStore
    let clock: any WallClock
    public let limits: Limits
    /// Called after every change (pages showing comments and counts are cached).
    let onChange: @Sendable () -> Void

    public init(
        store: any DiscussionStore & CurationStore & PaperStore,
        clock: any WallClock,
        limits: Limits = Limits(),
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.clock = clock
        self.limits = limits
        self.onChange = onChange
    }

    /// One comment as a viewer sees it.
    public struct Entry: Sendable, Equatable {
        public var comment: Comment
        /// The rendered Markdown; empty for a deleted or hidden comment a reader cannot see.
        public var html: String
        /// Deleted by its author, with replies still shown under it.
        public var isRemoved: Bool
        public var canEdit: Bool
        public var canDelete: Bool
        public var canReport: Bool
        /// The viewer is a moderator: hide or show it, see its reports.
        public var canModerate: Bool
    }

    /// A top-level comment and its replies, oldest first.
    public struct Thread: Sendable, Equatable {
        public var comment: Entry
        public var replies: [Entry]
    }

    public struct Discussion: Sendable, Equatable {
        public var paperID: String
        public var threads: [Thread]
        /// Comments readers can see.
        public var visibleCount: Int
        public var viewerIsModerator: Bool
    }

    /// A paper's discussion as `viewer` sees it. Readers see visible comments, and a deleted
    /// or hidden comment only as a placeholder above replies they can see; moderators see
    /// hidden comments too, marked.
    public func discussion(of paperID: String, viewer: Reader?) async throws -> Discussion {
        let id = try paperIDOrNotFound(paperID)
        let moderator = try await isModerator(viewer)
        let comments = try await store.comments(onPaper: id)
        let now = clock.now
        func entry(_ comment: Comment) -> Entry? {
            let own = viewer?.id == comment.authorID
            let shown = comment.deletedAt == nil && (comment.hiddenAt == nil || moderator)
            return Entry(
                comment: comment,
                html: shown ? CommentMarkdown.html(comment.body) : "",
                isRemoved: !shown,
                canEdit: own && comment.isVisible && isWithinEditWindow(comment, now: now),
                canDelete: own && comment.deletedAt == nil,
                canReport: viewer != nil && !own && comment.isVisible,
                canModerate: moderator && comment.deletedAt == nil
            )
        }
        var replies: [Int64: [Entry]] = [:]
        for comment in comments {
            guard let parent = comment.parentID, let reply = entry(comment), !reply.isRemoved else { continue }
            replies[parent, default: []].append(reply)
        }
        let threads = comments.compactMap { comment -> Thread? in
            guard comment.parentID == nil, let top = entry(comment) else { return nil }
            let under = replies[comment.id] ?? []
            if top.isRemoved && under.isEmpty { return nil }
            return Thread(comment: top, replies: under)
        }
        return Discussion(
            paperID: id,
            threads: threads,
            visibleCount: comments.filter(\.isVisible).count,
            viewerIsModerator: moderator
        )
    }

    /// Posts a comment (or a reply, with `parentID`) as `reader`, within the limits.
    public func post(on paperID: String, parentID: Int64?, body: String, by reader: Reader) async throws -> Comment {
        let id = try paperIDOrNotFound(paperID)
        let text = try checkedBody(body)
        try await checkRate(of: reader)
        do {
            let comment = try await store.addComment(paperID: id, parentID: parentID, by: reader.id, body: text)
            onChange()
            return comment
        } catch DiscussionError.unknownPaper {
            throw DomainError.notFound("No paper \(id) here yet.")
        } catch DiscussionError.unknownParent {
            throw DomainError.notFound("The comment you replied to is not on this paper, or it was removed.")
        }
    }

    /// Replaces the text of the reader's own comment, within the edit window.
    public func edit(_ commentID: Int64, body: String, by reader: Reader) async throws -> Comment {
        let comment = try await own(commentID, by: reader)
        guard comment.isVisible else { throw DomainError.notAllowed("This comment was removed; it cannot be edited.") }
        guard isWithinEditWindow(comment, now: clock.now) else {
            throw DomainError.notAllowed(
                "Comments can be edited for \(DisplayText.counted(Int(limits.editWindow.seconds / 60), "minute")) after posting."
            )
        }
        let text = try checkedBody(body)
        guard try await store.editComment(id: commentID, body: text) else {
            throw DomainError.notFound("There is no comment \(commentID).")
        }
        onChange()
        return try await store.comment(id: commentID) ?? comment
    }

    /// Deletes the reader's own comment (its row stays; replies stay under a placeholder).
    public func delete(_ commentID: Int64, by reader: Reader) async throws -> Comment {
        let comment = try await own(commentID, by: reader)
        if try await store.deleteComment(id: commentID) { onChange() }
        return comment
    }

    /// Reports someone else's visible comment to the moderators; false when the reader had
    /// reported it already.
    @discardableResult
    public func report(_ commentID: Int64, reason: String, by reader: Reader) async throws -> Bool {
        guard Self.reportReasons.contains(reason) else {
            throw DomainError.invalid("A report's reason is one of: \(Self.reportReasons.joined(separator: ", ")).")
        }
        guard let comment = try await store.comment(id: commentID), comment.isVisible else {
            throw DomainError.notFound("There is no comment \(commentID).")
        }
        guard comment.authorID != reader.id else { throw DomainError.notAllowed("You cannot report your own comment.") }
        return try await store.reportComment(id: commentID, by: reader.id, reason: reason)
    }

    /// Hides a comment from readers, or shows it again; moderators only.
    public func setHidden(_ commentID: Int64, _ hidden: Bool, by reader: Reader) async throws -> Comment {
        try await requireModerator(reader)
        guard let changed = try await store.setCommentHidden(id: commentID, hidden, by: AdminActor(reader)) else {
            throw DomainError.notFound("There is no comment \(commentID).")
        }
        if changed { onChange() }
        return try await store.comment(id: commentID)!
    }

    /// Settles a comment's reports without hiding it; moderators only.
    public func dismissReports(_ commentID: Int64, by reader: Reader) async throws {
        try await requireModerator(reader)
        _ = try await store.dismissReports(commentID: commentID, by: AdminActor(reader))
    }

    /// Comments with open reports, newest report first; moderators only.
    public func reportedComments(by reader: Reader, limit: Int = 100) async throws -> [ReportedComment] {
        try await requireModerator(reader)
        return try await store.reportedComments(limit: limit)
    }

    public func comment(_ id: Int64) async throws -> Comment? {
        try await store.comment(id: id)
    }

    public func isModerator(_ reader: Reader?) async throws -> Bool {
        guard let reader else { return false }
        return try await store.isAdmin(readerID: reader.id)
    }

    // MARK: - Rules

    private func paperIDOrNotFound(_ id: String) throws -> String {
        guard let arxivID = ArxivID(id) else { throw DomainError.notFound("“\(id.prefix(80))” is not an arXiv id.") }
        return arxivID.base
    }

    private func checkedBody(_ body: String) throws -> String {
        let text = body.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DomainError.invalid("A comment needs some text.") }
        guard text.count <= limits.maxLength else {
            throw DomainError.invalid(
                "A comment can be at most \(DisplayText.counted(limits.maxLength, "character")) long; this one has \(text.count)."
            )
        }
        return text
    }

    private func checkRate(of reader: Reader) async throws {
        let now = clock.now
        let since = Self.stamp(now - 3600)
        guard let activity = try await store.commentActivity(of: reader.id, since: since) else {
            throw DomainError.notAllowed("Log in to comment.")
        }
        let joined = (try? Date(activity.joinedAt, strategy: .iso8601))?.timeIntervalSince1970 ?? 0
        let isNew = now - joined < limits.newAccountAge.seconds
        let quota = isNew ? limits.perHourForNewAccounts : limits.perHour
        guard activity.commentsSince < quota else {
            throw DomainError.limitReached(
                isNew
                    ? "New accounts can post \(DisplayText.counted(quota, "comment")) an hour during their first day; try again later."
                    : "You can post \(DisplayText.counted(quota, "comment")) an hour; try again later."
            )
        }
    }

    private func own(_ commentID: Int64, by reader: Reader) async throws -> Comment {
        guard let comment = try await store.comment(id: commentID), comment.deletedAt == nil else {
            throw DomainError.notFound("There is no comment \(commentID).")
        }
        guard comment.authorID == reader.id else { throw DomainError.notAllowed("Only its author can change a comment.") }
        return comment
    }

    private func requireModerator(_ reader: Reader) async throws {
        guard try await isModerator(reader) else { throw DomainError.notAllowed("Only moderators can do this.") }
    }

    private func isWithinEditWindow(_ comment: Comment, now: Double) -> Bool {
        guard let created = try? Date(comment.createdAt, strategy: .iso8601) else { return false }
        return now - created.timeIntervalSince1970 <= limits.editWindow.seconds
    }

    static func stamp(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}
