import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// Discussions: the forms of the paper page (comment, reply, edit, delete, report, and for
/// moderators hide, show and dismiss reports), the moderators' list of reported comments, an
/// Atom feed of each paper's discussion, and the JSON API (read without a token, write with
/// one). Every form posts and redirects back to the comment on its paper page.
struct DiscussionRoutes: Sendable {
    let discussions: DiscussionService
    let accounts: AccountService
    let forms: AccountRoutes
    let renderer: PageRenderer
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.post("/papers/:id/comments") { request, context in
            let id = try context.parameters.require("id")
            let (session, form) = try await forms.verifiedForm(CommentForm.self, request, context)
            guard let reader = session.reader else { return forms.loginRedirect(to: "/papers/\(id)#discussion") }
            let parent = try Self.commentID(form.parent, optional: true)
            let comment = try await discussions.post(on: id, parentID: parent, body: form.body ?? "", by: reader)
            return redirect(to: comment)
        }
        router.get("/comments/:comment/edit") { _, context in
            let comment = try await ownComment(context)
            return try editPage(comment, context)
        }
        router.post("/comments/:comment/edit") { request, context in
            let (reader, form) = try await forms.verifiedReader(CommentForm.self, request, context)
            let comment = try await discussions.edit(try commentID(context), body: form.body ?? "", by: reader)
            return redirect(to: comment)
        }
        router.post("/comments/:comment/delete") { request, context in
            let (reader, _) = try await forms.verifiedReader(TokenOnlyForm.self, request, context)
            let comment = try await discussions.delete(try commentID(context), by: reader)
            return forms.redirect(to: "/papers/\(comment.paperID)#discussion", cookie: nil)
        }
        router.post("/comments/:comment/report") { request, context in
            let (reader, form) = try await forms.verifiedReader(ReportForm.self, request, context)
            let id = try commentID(context)
            try await discussions.report(id, reason: form.reason ?? "", by: reader)
            guard let comment = try await discussions.comment(id) else { throw DomainError.notFound("There is no comment \(id).") }
            return forms.redirect(to: "/papers/\(comment.paperID)?reported=\(id)#comment-\(id)", cookie: nil)
        }
        for (action, hidden) in [("hide", true), ("show", false)] {
            router.post("/comments/:comment/\(action)") { request, context in
                let (reader, _) = try await forms.verifiedReader(TokenOnlyForm.self, request, context)
                return redirect(to: try await discussions.setHidden(try commentID(context), hidden, by: reader))
            }
        }
        router.post("/comments/:comment/dismiss") { request, context in
            let (reader, _) = try await forms.verifiedReader(TokenOnlyForm.self, request, context)
            try await discussions.dismissReports(try commentID(context), by: reader)
            return forms.redirect(to: "/admin/comments", cookie: nil)
        }
        router.get("/admin/comments") { _, context in
            guard let session = context.session, let reader = session.reader, try await discussions.isModerator(reader) else {
                throw AdminService.Refusal.notAnAdmin
            }
            let reported = try await discussions.reportedComments(by: reader)
            let html = try renderer.render(
                "admin-comments",
                ["pageTitle": "Reported comments", "reported": reported.map(Self.reportContext), "hasReported": !reported.isEmpty],
                viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken, isAdmin: true)
            )
            return Responses.html(html, private: true)
        }
        router.get("/papers/:id/comments.atom") { request, context in
            let discussion = try await discussions.discussion(of: try context.parameters.require("id"), viewer: nil)
            let base = publicURL.base(for: request)
            return Response(
                status: .ok,
                headers: [.contentType: "application/atom+xml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: DiscussionFeed.render(discussion, base: base)))
            )
        }
        registerAPI(on: router)
    }

    // MARK: - JSON API

    func registerAPI(on router: Router<AppRequestContext>) {
        router.get("/api/papers/:id/comments") { _, context in
            let discussion = try await discussions.discussion(of: try context.parameters.require("id"), viewer: nil)
            return try JSONResponse.make(APIComments(discussion))
        }
        router.post("/api/papers/:id/comments") { request, context in
            let reader = try await apiReader(request)
            let sent = try await Self.json(APICommentRequest.self, request)
            let comment = try await discussions.post(
                on: try context.parameters.require("id"),
                parentID: sent.parentId,
                body: sent.text ?? "",
                by: reader
            )
            return try JSONResponse.make(APIComment(comment), status: .created)
        }
        router.patch("/api/comments/:comment") { request, context in
            let reader = try await apiReader(request)
            let sent = try await Self.json(APICommentRequest.self, request)
            return try JSONResponse.make(APIComment(try await discussions.edit(try commentID(context), body: sent.text ?? "", by: reader)))
        }
        router.delete("/api/comments/:comment") { request, context in
            let reader = try await apiReader(request)
            _ = try await discussions.delete(try commentID(context), by: reader)
            return Response(status: .noContent)
        }
        router.post("/api/comments/:comment/report") { request, context in
            let reader = try await apiReader(request)
            let sent = try await Self.json(APIReportRequest.self, request)
            let recorded = try await discussions.report(try commentID(context), reason: sent.reason ?? "", by: reader)
            return try JSONResponse.make(APIReported(reported: true, alreadyReported: !recorded), status: recorded ? .created : .ok)
        }
    }

    /// The reader a bearer token names; a 401 (as `tokenRequired`) otherwise.
    func apiReader(_ request: Request) async throws -> Reader {
        guard let token = TokenRoutes.bearerToken(request), let reader = try await accounts.reader(forAPIToken: token) else {
            throw TokenRequired()
        }
        return reader
    }

    struct TokenRequired: Error, HTTPResponseError {
        var status: HTTPResponse.Status { .unauthorized }
        func response(from request: Request, context: some RequestContext) throws -> Response { TokenRoutes.tokenRequired() }
    }

    /// A JSON body of at most 64 KB: a 5,000-character comment written as `\uXXXX` escapes
    /// of surrogate pairs is 60 KB.
    static func json<Body: Decodable>(_ type: Body.Type, _ request: Request) async throws -> Body {
        var request = request
        let body = try await request.collectBody(limit: BodyLimit.form)
        guard let decoded = try? JSONDecoder().decode(Body.self, from: body) else {
            throw DomainError.invalid("Send a JSON object, e.g. {\"text\": \"…\"}.")
        }
        return decoded
    }

    // MARK: - Pages

    func editPage(_ comment: Comment, _ context: AppRequestContext) throws -> Response {
        guard let session = context.session, let reader = session.reader else { throw DomainError.notAllowed("Log in first.") }
        let html = try renderer.render(
            "comment-edit",
            [
                "pageTitle": "Edit your comment", "id": comment.id, "paperID": comment.paperID, "body": comment.body,
                "maxLength": discussions.limits.maxLength,
            ],
            viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken)
        )
        return Responses.html(html, private: true)
    }

    static func reportContext(_ reported: ReportedComment) -> [String: Any] {
        let comment = reported.comment
        var counts: [String: Int] = [:]
        for reason in reported.reasons { counts[reason, default: 0] += 1 }
        return [
            "id": comment.id,
            "paperID": comment.paperID,
            "author": comment.authorName,
            "authorURL": "/u/\(QueryString.encode(comment.authorName))",
            "html": comment.deletedAt == nil ? CommentMarkdown.html(comment.body) : "",
            "deleted": comment.deletedAt != nil,
            "hidden": comment.hiddenAt != nil,
            "reasons": counts.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "),
            "reportsText": DisplayText.counted(reported.reasons.count, "report"),
        ]
    }

    // MARK: - Helpers

    func ownComment(_ context: AppRequestContext) async throws -> Comment {
        guard let reader = context.reader else { throw DomainError.notAllowed("Log in to edit your comments.") }
        let id = try commentID(context)
        guard let comment = try await discussions.comment(id), comment.deletedAt == nil else {
            throw DomainError.notFound("There is no comment \(id).")
        }
        guard comment.authorID == reader.id else { throw DomainError.notAllowed("Only its author can change a comment.") }
        return comment
    }

    func commentID(_ context: AppRequestContext) throws -> Int64 {
        try Self.commentID(try context.parameters.require("comment"), optional: false)!
    }

    static func commentID(_ text: String?, optional: Bool) throws -> Int64? {
        guard let text, !text.isEmpty else {
            if optional { return nil }
            throw DomainError.notFound("There is no such comment.")
        }
        guard let id = Int64(text), id > 0 else { throw DomainError.notFound("There is no comment “\(text.prefix(20))”.") }
        return id
    }

    func redirect(to comment: Comment) -> Response {
        forms.redirect(to: "/papers/\(comment.paperID)#comment-\(comment.id)", cookie: nil)
    }

}

// MARK: - API shapes

struct APICommentRequest: Decodable {
    var text: String?
    var parentId: Int64?
}

struct APIReportRequest: Decodable {
    var reason: String?
}

struct APIReported: Encodable {
    var reported: Bool
    var alreadyReported: Bool
}

struct APIComment: Encodable {
    struct Author: Encodable {
        var user: String
    }

    var id: Int64
    var paperId: String
    var parentId: Int64?
    /// Nil when the comment was removed (its replies are still listed).
    var author: Author?
    var text: String?
    var html: String?
    var createdAt: String
    var editedAt: String?
    var removed: Bool
    var replies: [APIComment]?

    init(_ comment: Comment) {
        id = comment.id
        paperId = comment.paperID
        parentId = comment.parentID
        author = Author(user: comment.authorName)
        text = comment.body
        html = CommentMarkdown.html(comment.body)
        createdAt = comment.createdAt
        editedAt = comment.editedAt
        removed = false
    }

    init(_ entry: DiscussionService.Entry, replies: [DiscussionService.Entry]? = nil) {
        let comment = entry.comment
        id = comment.id
        paperId = comment.paperID
        parentId = comment.parentID
        author = entry.isRemoved ? nil : Author(user: comment.authorName)
        text = entry.isRemoved ? nil : comment.body
        html = entry.isRemoved ? nil : entry.html
        createdAt = comment.createdAt
        editedAt = entry.isRemoved ? nil : comment.editedAt
        removed = entry.isRemoved
        self.replies = replies.map { $0.map { APIComment($0) } }
    }
}

struct APIComments: Encodable {
    var paperId: String
    /// Visible comments here (replies included).
    var numComments: Int
    var comments: [APIComment]

    init(_ discussion: DiscussionService.Discussion) {
        paperId = discussion.paperID
        numComments = discussion.visibleCount
        comments = discussion.threads.map { APIComment($0.comment, replies: $0.replies) }
    }
}

/// The Atom feed of a paper's discussion: one entry per visible comment, newest first.
enum DiscussionFeed {
    static func render(_ discussion: DiscussionService.Discussion, base: String) -> String {
        let entries = discussion.threads.flatMap { [$0.comment] + $0.replies }.filter { !$0.isRemoved }
            .sorted { $0.comment.id > $1.comment.id }
        let paperURL = "\(base)/papers/\(discussion.paperID)"
        let updated = entries.map { $0.comment.editedAt ?? $0.comment.createdAt }.max() ?? "1970-01-01T00:00:00Z"
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <title>\(Markup.escape("Paperboy · Discussion of \(discussion.paperID)"))</title>
            <id>\(Markup.escape(paperURL))#discussion</id>
            <link rel="self" href="\(Markup.escape(paperURL))/comments.atom"/>
            <link rel="alternate" type="text/html" href="\(Markup.escape(paperURL))#discussion"/>
            <updated>\(updated)</updated>

            """
        for entry in entries {
            let comment = entry.comment
            let url = "\(paperURL)#comment-\(comment.id)"
            let title = "\(comment.authorName): \(CommentMarkdown.plainText(comment.body, limit: 80))"
            xml += """
                <entry>
                <title>\(Markup.escape(title))</title>
                <id>\(Markup.escape(url))</id>
                <link rel="alternate" type="text/html" href="\(Markup.escape(url))"/>
                <author><name>\(Markup.escape(comment.authorName))</name><uri>\(Markup.escape("\(base)/u/\(QueryString.encode(comment.authorName))"))</uri></author>
                <published>\(comment.createdAt)</published>
                <updated>\(comment.editedAt ?? comment.createdAt)</updated>
                <content type="html">\(Markup.escape(entry.html))</content>
                </entry>

                """
        }
        return xml + "</feed>\n"
    }
}
