import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct CommentMarkdownTests {
    /// Classic and less classic XSS vectors: raw tags, event handlers, URL schemes, broken
    /// quoting, entities, Markdown links and images carrying them.
    static let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<style>body{display:none}</style>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<details open ontoggle=alert(1)>",
        "<body onload=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](\" onmouseover=\"alert(1))",
        "[x](http://a.com/\"><script>alert(1)</script>)",
        "[x](//evil.example/path)",
        "![a](javascript:alert(1))",
        "![a](http://x/y.png \"t\\\" onerror=\\\"alert(1)\")",
        "![a\" onerror=\"alert(1)](http://x/y.png)",
        "[<img src=x onerror=alert(1)>](http://example.com)",
        "**<script>alert(1)</script>**",
        "`<script>` and <script>alert(1)</script>",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "> <script>alert(1)</script>",
        "- <img src=x onerror=alert(1)>",
        "# <script>alert(1)</script>",
        "[ref]\n\n[ref]: javascript:alert(1)",
        "<scr<script>ipt>alert(1)</script>",
        "<<script>script>alert(1)<</script>/script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<a href=\"http://example.com\" onclick=\"alert(1)\">x</a>",
        "---\ntitle: <script>alert(1)</script>\n---\nbody",
    ]

    @Test(arguments: payloads)
    func noPayloadSurvives(_ payload: String) {
        let html = CommentMarkdown.html(payload)
        let lower = html.lowercased()
        for forbidden in [
            "<script", "<img", "<svg", "<iframe", "<style", "<math", "<details", "<body", "<div", "javascript:", "vbscript:", "data:text",
        ] {
            // Escaped text (`&lt;script`) is fine; a live tag or a live URL scheme is not.
            if forbidden.hasPrefix("<") {
                #expect(!lower.contains(forbidden), "\(payload) → \(html)")
            } else {
                #expect(!hrefs(in: lower).contains { $0.hasPrefix(forbidden) }, "\(payload) → \(html)")
            }
        }
        for tag in tags(in: html) {
            #expect(!tag.contains(" on"), "an event handler attribute: \(payload) → \(html)")
            #expect(!tag.contains("style="), "\(payload) → \(html)")
        }
        for href in hrefs(in: html) {
            #expect(["https://", "http://", "mailto:", "/", "#"].contains { href.hasPrefix($0) } && !href.hasPrefix("//"), "\(href) in \(html)")
        }
    }

    @Test func markdownRendersTheUsualThings() {
        let html = CommentMarkdown.html(
            """
            # A heading

            Some **bold**, _italic_ and `code <b>`; a [link](https://example.org/a?b=1&c=2).

            - one
            - two

            > quoted

            ![figure](https://example.org/f.png)
            """
        )
        #expect(html.contains("<h4>A heading</h4>"), "headings sit below the page's own")
        #expect(html.contains("<strong>bold</strong>"))
        #expect(html.contains("<em>italic</em>"))
        #expect(html.contains("<code>code &lt;b&gt;</code>"))
        #expect(html.contains("<a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc\">link</a>"))
        #expect(html.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(html.contains("<blockquote>"))
        #expect(html.contains("<a href=\"https://example.org/f.png\" rel=\"nofollow ugc\">figure</a>"), "images become links")
        #expect(CommentMarkdown.html("<b>hi</b> & <i>you</i>").contains("&lt;b&gt;hi&lt;/b&gt;"), "raw HTML is shown as text")
        #expect(CommentMarkdown.html("---\nnot metadata\n---").contains("not metadata"), "a leading rule does not swallow text")
        #expect(CommentMarkdown.plainText("Some **bold** [link](https://x.org) <b>") == "Some bold link <b>")
    }

    private func tags(in html: String) -> [String] {
        var tags: [String] = []
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: ">") else { break }
            tags.append(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        return tags
    }

    private func hrefs(in html: String) -> [String] {
        tags(in: html).compactMap { tag -> String? in
            guard let start = tag.range(of: "href=\"") else { return nil }
            return String(tag[start.upperBound...].prefix { $0 != "\"" })
        }
    }
}

@Suite struct DiscussionServiceTests {
    /// A store with one paper and a reader who signed up at `joined` (seconds since 1970).
    static func withService(
        joined: Double,
        _ body: (DiscussionService, TestClock, any AppStore, Reader) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-discuss-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = TestClock(now: joined)
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path), clock: clock)
        let paper = Paper(id: "2405.00001", title: "A paper", source: .huggingFace)
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [DailyEntry(day: FeedDay("2024-05-27")!, paper: paper, upvotes: 1)])
        let reader = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        try await body(DiscussionService(store: store, clock: clock), clock, store, reader)
    }

    @Test func newAccountsPostFewerCommentsAnHourThanOlderOnes() async throws {
        let joined = FeedDay("2024-05-28")!.startTimestamp
        try await Self.withService(joined: joined) { service, clock, _, ada in
            for index in 1...5 { _ = try await service.post(on: "2405.00001", parentID: nil, body: "comment \(index)", by: ada) }
            await #expect(
                throws: DomainError.limitReached("New accounts can post 5 comments an hour during their first day; try again later.")
            ) {
                try await service.post(on: "2405.00001", parentID: nil, body: "six", by: ada)
            }
            clock.advance(to: joined + 2 * 86_400)
            for index in 1...20 { _ = try await service.post(on: "2405.00001", parentID: nil, body: "later \(index)", by: ada) }
            await #expect(throws: DomainError.limitReached("You can post 20 comments an hour; try again later.")) {
                try await service.post(on: "2405.00001", parentID: nil, body: "21", by: ada)
            }
            clock.advance(by: .seconds(3601))
            _ = try await service.post(on: "2405.00001", parentID: nil, body: "an hour on", by: ada)
        }
    }

    @Test func lengthEditWindowOwnershipAndModeration() async throws {
        try await Self.withService(joined: FeedDay("2024-05-20")!.startTimestamp) { service, clock, store, ada in
            await #expect(throws: DomainError.invalid("A comment needs some text.")) {
                try await service.post(on: "2405.00001", parentID: nil, body: "  \n ", by: ada)
            }
            await #expect(throws: DomainError.self) {
                try await service.post(on: "2405.00001", parentID: nil, body: String(repeating: "x", count: 5_001), by: ada)
            }
            await #expect(throws: DomainError.notFound("No paper 2405.99999 here yet.")) {
                try await service.post(on: "2405.99999", parentID: nil, body: "hi", by: ada)
            }
            let comment = try await service.post(on: "2405.00001", parentID: nil, body: "Fist post", by: ada)
            let bob = try await store.createUser(email: "b@example.org", name: "bob", passwordHash: "h")
            await #expect(throws: DomainError.notAllowed("Only its author can change a comment.")) {
                try await service.edit(comment.id, body: "mine now", by: bob)
            }
            clock.advance(by: .seconds(14 * 60))
            #expect(try await service.edit(comment.id, body: "First post", by: ada).body == "First post")
            clock.advance(by: .seconds(2 * 60))
            await #expect(throws: DomainError.notAllowed("Comments can be edited for 15 minutes after posting.")) {
                try await service.edit(comment.id, body: "too late", by: ada)
            }

            await #expect(throws: DomainError.notAllowed("You cannot report your own comment.")) {
                try await service.report(comment.id, reason: "spam", by: ada)
            }
            await #expect(throws: DomainError.self) { try await service.report(comment.id, reason: "boring", by: bob) }
            #expect(try await service.report(comment.id, reason: "spam", by: bob))
            #expect(try await service.report(comment.id, reason: "spam", by: bob) == false)
            await #expect(throws: DomainError.notAllowed("Only moderators can do this.")) {
                try await service.setHidden(comment.id, true, by: bob)
            }
            _ = try await store.setAdmin(email: "b@example.org", true, by: .commandLine)
            #expect(try await service.reportedComments(by: bob).map(\.comment.id) == [comment.id])
            #expect(try await service.setHidden(comment.id, true, by: bob).hiddenAt != nil)

            // Readers see nothing of a hidden comment without replies; moderators see it, marked.
            #expect(try await service.discussion(of: "2405.00001", viewer: ada).threads.isEmpty)
            let moderated = try await service.discussion(of: "2405.00001", viewer: bob)
            #expect(moderated.threads.first?.comment.html == "<p>First post</p>")
            #expect(moderated.threads.first?.comment.canModerate == true)
            #expect(moderated.visibleCount == 0)
        }
    }

    @Test func aDeletedCommentWithRepliesLeavesAPlaceholder() async throws {
        try await Self.withService(joined: FeedDay("2024-05-20")!.startTimestamp) { service, _, store, ada in
            let bob = try await store.createUser(email: "b@example.org", name: "bob", passwordHash: "h")
            let top = try await service.post(on: "2405.00001", parentID: nil, body: "Question?", by: ada)
            _ = try await service.post(on: "2405.00001", parentID: top.id, body: "Answer.", by: bob)
            let lonely = try await service.post(on: "2405.00001", parentID: nil, body: "Nobody answers", by: ada)
            _ = try await service.delete(top.id, by: ada)
            _ = try await service.delete(lonely.id, by: ada)
            let discussion = try await service.discussion(of: "2405.00001", viewer: nil)
            #expect(discussion.threads.count == 1, "a deleted comment without replies is gone")
            let thread = try #require(discussion.threads.first)
            #expect(thread.comment.isRemoved)
            #expect(thread.comment.html.isEmpty, "its text is not sent")
            #expect(thread.replies.map(\.html) == ["<p>Answer.</p>"])
            #expect(discussion.visibleCount == 1)
            await #expect(throws: DomainError.notFound("There is no comment \(top.id).")) {
                try await service.delete(top.id, by: ada)
            }
        }
    }
}

@Suite struct DiscussionRouteTests {
    static let paper = "2405.15738"

    /// Posts a comment through the paper page's form; returns the redirect's location.
    static func comment(_ visitor: inout Visitor, _ body: String, parent: Int64? = nil) async throws -> Visitor.Page {
        let page = try await visitor.get("/papers/\(paper)")
        var fields = ["csrf": try Visitor.csrf(in: page), "body": body]
        if let parent { fields["parent"] = String(parent) }
        return try await visitor.post("/papers/\(paper)/comments", fields)
    }

    static func commentID(_ location: String?) throws -> Int64 {
        let location = try #require(location)
        let last = try #require(location.split(separator: "-").last)
        return try #require(Int64(last))
    }

    @Test func aThreadIsWrittenRenderedSafelyAndCountedEverywhere() async throws {
        try await TestApp.withApp { client, _ in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let posted = try await Self.comment(&ada, "Nice **result** <script>alert(1)</script> [code](https://github.com/x/y)")
            #expect(posted.status == .seeOther)
            let first = try Self.commentID(posted.headers[.location])
            #expect(posted.headers[.location] == "/papers/\(Self.paper)#comment-\(first)")

            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            let reply = try await Self.comment(&bob, "Agreed.", parent: first)
            let second = try Self.commentID(reply.headers[.location])

            // A reply has its own actions, not its thread's (it is rendered inside the thread).
            let adasView = try await ada.get("/papers/\(Self.paper)").body
            #expect(adasView.contains("/comments/\(first)/edit"))
            #expect(!adasView.contains("/comments/\(second)/edit") && !adasView.contains("/comments/\(second)/delete"))
            #expect(adasView.contains("/comments/\(second)/report"))
            let bobsView = try await bob.get("/papers/\(Self.paper)").body
            #expect(bobsView.contains("/comments/\(second)/delete") && !bobsView.contains("/comments/\(second)/report"))
            #expect(bobsView.contains("/comments/\(first)/report") && !bobsView.contains("/comments/\(first)/edit"))

            let page = try await client.get("/papers/\(Self.paper)")
            #expect(page.body.contains("<strong>result</strong>"))
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.body.contains("<script>alert(1)"))
            #expect(page.body.contains("<a href=\"https://github.com/x/y\" rel=\"nofollow ugc\">code</a>"))
            #expect(page.body.contains("id=\"comment-\(first)\""))
            #expect(page.body.contains("<ol class=\"replies\"><li><article class=\"comment\" id=\"comment-\(second)\""))
            #expect(page.body.contains("<span>5 comments</span>"), "3 captured from Hugging Face plus 2 here")
            #expect(page.body.contains("<span class=\"count\">2 comments</span>"))
            #expect(page.body.contains("Log in</a> to join the discussion"))

            let day = try await client.get("/papers/date/2024-05-27")
            #expect(day.body.contains("5 comments"))
            let items = try #require(try json(try await client.get("/api/daily_papers?date=2024-05-27").body) as? [[String: Any]])
            let item = try #require(items.first { ($0["paper"] as? [String: Any])?["id"] as? String == Self.paper })
            #expect(item["numComments"] as? Int == 5)
            let detail = try #require(try json(try await client.get("/api/papers/\(Self.paper)").body) as? [String: Any])
            #expect(detail["numComments"] as? Int == 5)

            // The JSON API and the Atom feed, without a token.
            let api = try #require(try json(try await client.get("/api/papers/\(Self.paper)/comments").body) as? [String: Any])
            #expect(api["numComments"] as? Int == 2)
            let threads = try #require(api["comments"] as? [[String: Any]])
            #expect(threads.count == 1)
            #expect((threads[0]["author"] as? [String: Any])?["user"] as? String == "ada")
            #expect((threads[0]["html"] as? String)?.contains("&lt;script&gt;") == true)
            #expect(((threads[0]["replies"] as? [[String: Any]])?.first?["text"]) as? String == "Agreed.")

            let atom = try await client.get("/papers/\(Self.paper)/comments.atom")
            #expect(atom.headers[.contentType] == "application/atom+xml; charset=utf-8")
            let parsed = try AtomEntries(atom.body)
            #expect(parsed.titles == ["bob: Agreed.", "ada: Nice result <script>alert(1)</script> code"])
            #expect(parsed.contents.last?.contains("<strong>result</strong>") == true, "HTML content, escaped once in the XML")
        }
    }

    @Test func authorsEditAndDeleteOthersReportModeratorsHide() async throws {
        try await TestApp.withApp { client, store in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let id = try Self.commentID(try await Self.comment(&ada, "Tpyo").headers[.location])
            let editForm = try await ada.get("/comments/\(id)/edit")
            #expect(editForm.status == .ok)
            #expect(editForm.body.contains(">Tpyo</textarea>"))
            let edited = try await ada.post("/comments/\(id)/edit", ["csrf": try Visitor.csrf(in: editForm), "body": "Typo"])
            #expect(edited.status == .seeOther)
            #expect(try await client.get("/papers/\(Self.paper)").body.contains("<p>Typo</p>"))

            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            #expect(try await bob.get("/comments/\(id)/edit").status == .forbidden)
            let page = try await bob.get("/papers/\(Self.paper)")
            #expect(page.body.contains("action=\"/comments/\(id)/report\""))
            #expect(!page.body.contains("action=\"/comments/\(id)/delete\""), "only the author deletes")
            let forged = try await bob.post("/comments/\(id)/delete", ["csrf": try Visitor.csrf(in: page)])
            #expect(forged.status == .forbidden)
            let report = try await bob.post("/comments/\(id)/report", ["csrf": try Visitor.csrf(in: page), "reason": "spam"])
            #expect(report.headers[.location] == "/papers/\(Self.paper)?reported=\(id)#comment-\(id)")
            #expect(try await bob.get(try #require(report.headers[.location])).body.contains("the moderators will look at this comment"))

            // Not a moderator: the reports page does not exist.
            #expect(try await bob.get("/admin/comments").status == .notFound)
            _ = try await store.setAdmin(email: "bob@example.org", true, by: .commandLine)
            let reports = try await bob.get("/admin/comments")
            #expect(reports.body.contains("1 report"))
            #expect(reports.body.contains("spam × 1"))
            let hidden = try await bob.post("/comments/\(id)/hide", ["csrf": try Visitor.csrf(in: reports)])
            #expect(hidden.status == .seeOther)
            #expect(!(try await client.get("/papers/\(Self.paper)").body.contains("<p>Typo</p>")), "hidden from visitors")
            let moderatorView = try await bob.get("/papers/\(Self.paper)")
            #expect(moderatorView.body.contains("hidden from readers"))
            #expect(moderatorView.body.contains("<p>Typo</p>"))
            #expect(try await bob.get("/admin/comments").body.contains("No open reports."))
            #expect(try await store.comment(id: id)?.body == "Typo", "kept in the database")

            _ = try await bob.post("/comments/\(id)/show", ["csrf": try Visitor.csrf(in: moderatorView)])
            let own = try await ada.get("/papers/\(Self.paper)")
            let deleted = try await ada.post("/comments/\(id)/delete", ["csrf": try Visitor.csrf(in: own)])
            #expect(deleted.headers[.location] == "/papers/\(Self.paper)#discussion")
            #expect(try await client.get("/papers/\(Self.paper)").body.contains("No comments here yet."))
            #expect(try await store.comment(id: id)?.deletedAt != nil)
        }
    }

    @Test func theAPIWritesWithATokenAndRefusesWithoutOne() async throws {
        try await TestApp.withApp { client, _ in
            let (_, token) = try await APITokenTests.token(for: "ada", client: client)
            func send(_ uri: String, _ method: HTTPRequest.Method, _ body: String?, token: String?) async throws -> (HTTPResponse.Status, Any?) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                    ($0.status, try? json(String(buffer: $0.body)))
                }
            }
            let path = "/api/papers/\(Self.paper)/comments"
            #expect(try await send(path, .post, #"{"text": "hi"}"#, token: nil).0 == .unauthorized)
            let (created, body) = try await send(path, .post, #"{"text": "From a **script**"}"#, token: token)
            #expect(created == .created)
            let comment = try #require(body as? [String: Any])
            #expect(comment["html"] as? String == "<p>From a <strong>script</strong></p>")
            let id = try #require(comment["id"] as? Int)
            let (replied, reply) = try await send(path, .post, #"{"text": "And a reply", "parentId": \#(id)}"#, token: token)
            #expect(replied == .created)
            #expect((reply as? [String: Any])?["parentId"] as? Int == id)
            #expect(try await send(path, .post, #"{"text": ""}"#, token: token).0 == .badRequest)
            #expect(try await send(path, .post, "not json", token: token).0 == .badRequest)
            // The longest comment, each character an escaped surrogate pair: 60 KB of JSON.
            let longest = String(repeating: #"\ud83d\ude00"#, count: 5_000)
            #expect(try await send(path, .post, #"{"text": "\#(longest)"}"#, token: token).0 == .created)
            #expect(try await send("/api/papers/2405.99999/comments", .post, #"{"text": "x"}"#, token: token).0 == .notFound)

            let (patched, edited) = try await send("/api/comments/\(id)", .patch, #"{"text": "Edited"}"#, token: token)
            #expect(patched == .ok)
            #expect((edited as? [String: Any])?["editedAt"] as? String != nil)
            let (_, bobToken) = try await APITokenTests.token(for: "bob", client: client)
            #expect(try await send("/api/comments/\(id)", .delete, nil, token: bobToken).0 == .forbidden)
            #expect(try await send("/api/comments/\(id)/report", .post, #"{"reason": "spam"}"#, token: bobToken).0 == .created)
            #expect(try await send("/api/comments/\(id)", .delete, nil, token: token).0 == .noContent)
            let listed = try #require(try json(try await client.get(path).body) as? [String: Any])
            let threads = try #require(listed["comments"] as? [[String: Any]])
            #expect(threads.first?["removed"] as? Bool == true)
            #expect(threads.first?["text"] == nil, "a removed comment's text is not served")
            #expect(listed["numComments"] as? Int == 2, "the reply and the longest comment")
        }
    }
}

@Suite struct DisplayNameTests {
    @Test func aDisplayNameIsChosenAtSignUpChangedInSettingsAndShownBesideTheUserName() async throws {
        try await TestApp.withApp { client, store in
            var ada = Visitor(client: client)
            let form = try await ada.get("/signup")
            #expect(form.body.contains("name=\"displayName\""))
            let done = try await ada.post(
                "/signup",
                [
                    "csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "name": "ada", "password": "correct horse battery",
                    "displayName": "  Ada   Lovelace ",
                ]
            )
            #expect(done.status == .seeOther)
            let profile = try await client.get("/u/ada")
            #expect(profile.body.contains("<h1>Ada Lovelace <small class=\"handle\">ada</small></h1>"))
            _ = try await DiscussionRouteTests.comment(&ada, "Hello")
            let paper = try await client.get("/papers/\(DiscussionRouteTests.paper)")
            #expect(paper.body.contains(">Ada Lovelace</a> <span class=\"handle\">ada</span>"))

            let settings = try await ada.get("/settings")
            #expect(settings.body.contains("value=\"Ada Lovelace\""))
            let bad = try await ada.post("/settings/display-name", ["csrf": try Visitor.csrf(in: settings), "displayName": "x\u{202E}y"])
            #expect(bad.status == .badRequest)
            #expect(bad.body.contains("control characters"))
            let long = try await ada.post(
                "/settings/display-name",
                ["csrf": try Visitor.csrf(in: settings), "displayName": String(repeating: "a", count: 51)]
            )
            #expect(long.body.contains("at most 50 characters"))
            let cleared = try await ada.post("/settings/display-name", ["csrf": try Visitor.csrf(in: settings), "displayName": ""])
            #expect(cleared.body.contains("You are shown by your user name."))
            #expect(try await client.get("/u/ada").body.contains("<h1>ada</h1>"))
            let reader = try #require(try await store.reader(named: "ada"))
            #expect(reader.displayName == nil)
        }
    }
}
