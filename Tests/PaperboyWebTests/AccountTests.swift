import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyStore
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// A browser of sorts: keeps its cookies, sends the same-origin headers a browser sends
/// with a form, and reads CSRF tokens out of forms.
struct Visitor {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]

    init(client: any TestClientProtocol, cookie: String? = nil, cookies: [String: String] = [:]) {
        self.client = client
        self.cookies = cookies
        if let cookie { self.cookies["pb_session"] = cookie }
    }

    /// The session cookie.
    var cookie: String? { cookies["pb_session"] }

    struct Page {
        var status: HTTPResponse.Status
        var body: String
        var headers: HTTPFields
    }

    mutating func get(_ uri: String) async throws -> Page {
        try await send(uri, method: .get, body: nil)
    }

    mutating func post(_ uri: String, _ fields: [String: String]) async throws -> Page {
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return try await send(uri, method: .post, body: body)
    }

    mutating func send(_ uri: String, method: HTTPRequest.Method, body: String?) async throws -> Page {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty { headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if body != nil {
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
        }
        let page = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            Page(status: $0.status, body: String(buffer: $0.body), headers: $0.headers)
        }
        for setCookie in page.headers[values: .setCookie] {
            let pair = setCookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1) ?? []
            guard pair.count >= 1 else { continue }
            let value = pair.count == 2 ? String(pair[1]) : ""
            cookies[String(pair[0])] = value.isEmpty ? nil : value
        }
        return page
    }

    /// The CSRF token of the first form on a page.
    static func csrf(in page: Page) throws -> String {
        let marker = "name=\"csrf\" value=\""
        let start = try #require(page.body.range(of: marker)).upperBound
        return String(page.body[start...].prefix { $0 != "\"" })
    }

    mutating func signUp(email: String = "ada@example.org", name: String = "ada", password: String = "correct horse battery") async throws -> Page {
        let form = try await get("/signup")
        return try await post("/signup", ["csrf": try Self.csrf(in: form), "email": email, "name": name, "password": password])
    }
}

@Suite struct AccountTests {
    @Test func signUpLogsInWithAFreshHttpOnlySession() async throws {
        try await TestApp.withApp { client in
            var visitor = Visitor(client: client)
            let form = try await visitor.get("/signup")
            let setCookie = try #require(form.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(!setCookie.contains("Secure"), "plain http in tests")
            let anonymous = visitor.cookie

            let done = try await visitor.post(
                "/signup",
                [
                    "csrf": try Visitor.csrf(in: form), "email": "Ada@Example.org", "name": "ada", "password": "correct horse battery",
                ]
            )
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/")
            #expect(visitor.cookie != anonymous, "a new session id at log-in")

            let home = try await visitor.get("/")
            #expect(home.body.contains("<a href=\"/u/ada\">ada</a>"))
            #expect(home.body.contains("action=\"/papers/2405.17247/upvote\""))
            #expect(home.headers[.cacheControl] == "private, no-store")
        }
    }

    @Test func formsWithoutTheirCSRFTokenAreRefused() async throws {
        try await TestApp.withApp { client in
            var visitor = Visitor(client: client)
            _ = try await visitor.get("/signup")
            let missing = try await visitor.post("/signup", ["email": "a@example.org", "name": "a1", "password": "correct horse battery"])
            #expect(missing.status == .forbidden)
            let wrong = try await visitor.post(
                "/signup",
                ["csrf": "forged", "email": "a@example.org", "name": "a1", "password": "correct horse battery"]
            )
            #expect(wrong.status == .forbidden)

            _ = try await visitor.signUp()
            let vote = try await visitor.post("/papers/2405.15738/upvote", ["action": "add"])
            #expect(vote.status == .forbidden)
            let logout = try await visitor.post("/logout", [:])
            #expect(logout.status == .forbidden)
        }
    }

    @Test func badSignUpsGetClearMessages() async throws {
        try await TestApp.withApp { client in
            var visitor = Visitor(client: client)
            for (email, name, password, message) in [
                ("not-an-email", "bob", "correct horse battery", "valid email"),
                ("bob@example.org", "<b>", "correct horse battery", "User names"),
                ("bob@example.org", "bob", "short", "at least 10"),
                ("bob@example.org", "bob", "aaaaaaaaaaaa", "too easy"),
            ] {
                let page = try await visitor.signUp(email: email, name: name, password: password)
                #expect(page.status == .badRequest)
                #expect(page.body.contains(message), "\(message)")
            }
            _ = try await visitor.signUp(email: "bob@example.org", name: "bob")
            var other = Visitor(client: client)
            #expect(try await other.signUp(email: "BOB@example.org", name: "bobby").status == .conflict)
            #expect(try await other.signUp(email: "bobby@example.org", name: "BOB").status == .conflict)
        }
    }

    @Test func loginRevealsNothingAboutWhichEmailsExist() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            var stranger = Visitor(client: client)
            let form = try await stranger.get("/login")
            let wrongPassword = try await stranger.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "password": "wrong password!"]
            )
            let unknownEmail = try await stranger.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "nobody@example.org", "password": "wrong password!"]
            )
            #expect(wrongPassword.status == .unauthorized)
            #expect(unknownEmail.status == .unauthorized)
            #expect(wrongPassword.body.contains("Email or password is wrong."))
            #expect(unknownEmail.body.contains("Email or password is wrong."))

            let ok = try await stranger.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "ADA@example.org", "password": "correct horse battery", "next": "/papers/trending"]
            )
            #expect(ok.status == .seeOther)
            #expect(ok.headers[.location] == "/papers/trending")
        }
    }

    @Test func aSessionPlantedBeforeLoginIsWorthlessAfterIt() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            _ = try await ada.post("/logout", ["csrf": try Visitor.csrf(in: try await ada.get("/"))])

            // The attacker gets an anonymous session and plants its cookie in the victim's browser.
            var attacker = Visitor(client: client)
            let form = try await attacker.get("/login")
            var victim = Visitor(client: client, cookies: attacker.cookies)
            let login = try await victim.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "password": "correct horse battery"]
            )
            #expect(login.status == .seeOther)
            #expect(victim.cookie != attacker.cookie)
            let attackerView = try await attacker.get("/")
            #expect(!attackerView.body.contains("/u/ada"), "the planted session did not become Ada's")
        }
    }

    @Test func oneUpvotePerReaderEverywhere() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            func upvotes() async throws -> Int? {
                (try json(try await client.get("/api/papers/2405.15738").body) as? [String: Any])?["upvotes"] as? Int
            }
            #expect(try await upvotes() == 32)
            for _ in 0..<2 {
                let page = try await ada.get("/papers/2405.15738")
                let vote = try await ada.post(
                    "/papers/2405.15738/upvote",
                    ["csrf": try Visitor.csrf(in: page), "action": "add", "next": "/papers/2405.15738"]
                )
                #expect(vote.status == .seeOther)
            }
            #expect(try await upvotes() == 33, "twice counts once")
            let page = try await ada.get("/papers/2405.15738")
            #expect(page.body.contains("33 upvotes"))
            #expect(page.body.contains("aria-pressed=\"true\""))
            let profile = try await ada.get("/u/ada")
            #expect(profile.body.contains("ConvLLaVA"))

            _ = try await ada.post("/papers/2405.15738/upvote", ["csrf": try Visitor.csrf(in: page), "action": "remove"])
            #expect(try await upvotes() == 32)
            let anonymous = try await client.get("/papers/2405.15738")
            #expect(anonymous.body.contains("32 upvotes"), "the cached anonymous page follows the vote")
        }
    }

    @Test func aProfileListsEachUpvotedPaperOnce() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let empty = try await ada.get("/u/ada")
            #expect(empty.body.contains("No upvotes yet."))
            #expect(empty.body.contains("No submissions yet."))
            let ids = ["2405.15738", "2405.14906", "2405.14908"]
            for id in ids {
                let page = try await ada.get("/papers/\(id)")
                let vote = try await ada.post("/papers/\(id)/upvote", ["csrf": try Visitor.csrf(in: page), "action": "add"])
                #expect(vote.status == .seeOther || vote.status == .ok)
            }
            let profile = try await ada.get("/u/ada").body
            for id in ids {
                #expect(profile.components(separatedBy: "href=\"/papers/\(id)\"").count - 1 == 1, "\(id) listed once")
            }
            #expect(profile.components(separatedBy: "<ul class=\"related\">").count - 1 == 1, "one list")
            #expect(!profile.contains("No upvotes yet."))
        }
    }

    /// Entries as an import from Hugging Face leaves them: with the captured item.
    static func imported(_ id: String, by name: String, fullname: String, day: String = "2024-05-28") -> DailyEntry {
        DailyEntry(
            day: FeedDay(day)!,
            paper: Paper(id: id, title: "Paper \(id) from \(name)", upvotes: 2, source: .huggingFace),
            submitter: Submitter(name: name, fullname: fullname),
            upvotes: 2,
            rawItem: Data("{\"paper\":{\"id\":\"\(id)\"}}".utf8)
        )
    }

    @Test func theSignUpFormSaysTheNameIsAUserName() async throws {
        try await TestApp.withApp { client in
            let form = try await client.get("/signup").body
            #expect(form.contains("<label>User name <input type=\"text\" name=\"name\" aria-describedby=\"name-hint\""))
            #expect(form.contains("<p class=\"hint\" id=\"name-hint\">Your handle: it is your public page (/u/NAME)"))
            #expect(form.contains("<label>Display name <small>(optional)</small>"), "a display name is its own, optional field")
        }
    }

    @Test func importedSubmittersHavePagesAndTheirNamesCannotBeTaken() async throws {
        let entries = [
            Self.imported("2405.99101", by: "taesiri", fullname: "Mohammad Reza Taesiri"),
            Self.imported("2405.99102", by: "taesiri", fullname: "Mohammad Reza Taesiri", day: "2024-05-27"),
        ]
        try await TestApp.withApp(extraEntries: entries) { client in
            let page = try await client.get("/u/taesiri")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>Mohammad Reza Taesiri</h1>"))
            #expect(page.body.contains("@taesiri on Hugging Face"))
            #expect(page.body.contains("submitted 2 papers"))
            let newer = try #require(page.body.range(of: "href=\"/papers/2405.99101\"")).lowerBound
            let older = try #require(page.body.range(of: "href=\"/papers/2405.99102\"")).lowerBound
            #expect(newer < older, "newest first")
            let home = try await client.get("/").body
            #expect(home.contains("<a class=\"submitter\" href=\"/u/taesiri?from=huggingface\"><strong>Mohammad Reza Taesiri</strong></a>"))
            #expect(try await client.get("/u/taesiri?from=huggingface").status == .ok)
            #expect(try await client.get("/u/nobody-at-all").status == .notFound)

            // A reader here cannot take the name and appear as them.
            var mallory = Visitor(client: client)
            let refused = try await mallory.signUp(email: "mallory@example.org", name: "taesiri")
            #expect(refused.status != .seeOther)
            #expect(refused.body.contains("That user name is taken"))
            let recased = try await mallory.signUp(email: "mallory@example.org", name: "TaeSiri")
            #expect(recased.body.contains("That user name is taken"), "whatever its case: /u/taesiri finds readers in any case")
        }
    }

    @Test func aReaderAndAHuggingFaceSubmitterOfTheSameNameAreNeverOnePage() async throws {
        try await TestApp.withApp(mail: nil) { client, store in
            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            // Later a sync brings a paper submitted on Hugging Face by someone else called bob.
            _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [Self.imported("2405.99201", by: "bob", fullname: "Bob Other")])
            let local = try await client.get("/u/bob").body
            #expect(local.contains("<h1>bob</h1>"))
            #expect(!local.contains("2405.99201"), "the other bob's submission is not the reader's")
            let other = try await client.get("/u/bob?from=huggingface").body
            #expect(other.contains("<h1>Bob Other</h1>"))
            #expect(other.contains("href=\"/papers/2405.99201\""))
            #expect(try await client.get("/").body.contains("href=\"/u/bob?from=huggingface\""))
        }
    }

    @Test func logInIsRateLimitedWith429AndHeaders() async throws {
        let configuration = AppConfiguration(port: 0, bcryptCost: 4, loginRateLimit: .init(name: "login", quota: 3, window: 60))
        try await TestApp.withApp(configuration: configuration) { client in
            var visitor = Visitor(client: client)
            let form = try await visitor.get("/login")
            let csrf = try Visitor.csrf(in: form)
            for _ in 0..<3 {
                let attempt = try await visitor.post("/login", ["csrf": csrf, "email": "x@example.org", "password": "nope nope nope"])
                #expect(attempt.status == .unauthorized)
            }
            let limited = try await visitor.post("/login", ["csrf": csrf, "email": "x@example.org", "password": "nope nope nope"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[HTTPField.Name("RateLimit-Policy")!] == "\"login\";q=3;w=60")
            #expect(limited.headers[HTTPField.Name("RateLimit")!]?.hasPrefix("\"login\";r=0;t=") == true)
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    @Test func cookiesAreSecureBehindHTTPS() async throws {
        try await TestApp.withApp(configuration: AppConfiguration(port: 0, publicURL: "https://papers.example.org", bcryptCost: 4)) { client in
            var visitor = Visitor(client: client)
            let form = try await visitor.get("/login")
            #expect(form.headers[.setCookie]?.contains("; Secure") == true)
        }
    }

    @Test func openRedirectsAreRefused() {
        for hostile in ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"] {
            #expect(AccountRoutes.safeNext(hostile) == "/")
        }
        #expect(AccountRoutes.safeNext("/papers/trending") == "/papers/trending")
    }
}

@Suite struct APITokenTests {
    /// Signs up `name` and creates an API token on the settings page.
    static func token(for name: String, client: any TestClientProtocol) async throws -> (Visitor, String) {
        var visitor = Visitor(client: client)
        _ = try await visitor.signUp(email: "\(name)@example.org", name: name)
        let settings = try await visitor.get("/settings")
        #expect(settings.status == .ok)
        let created = try await visitor.post("/settings/tokens", ["csrf": try Visitor.csrf(in: settings), "name": "script"])
        #expect(created.status == .created)
        let start = try #require(created.body.range(of: "<code>pb_")).lowerBound
        let token = String(created.body[created.body.index(start, offsetBy: 6)...].prefix { $0 != "<" })
        return (visitor, token)
    }

    static func vote(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        token: String?
    ) async throws -> (HTTPResponse.Status, [String: Any]?) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/papers/2405.15738/upvote", method: method, headers: headers) {
            ($0.status, try? json(String(buffer: $0.body)) as? [String: Any])
        }
    }

    @Test func tokensUpvoteAndOnlyTheirOwnReader() async throws {
        try await TestApp.withApp { client in
            let (_, ada) = try await Self.token(for: "ada", client: client)
            let (_, bob) = try await Self.token(for: "bob", client: client)
            #expect(ada.hasPrefix("pb_"))

            var (status, body) = try await Self.vote(client, .post, token: ada)
            #expect(status == .ok)
            #expect(body?["upvotes"] as? Int == 33)
            (status, body) = try await Self.vote(client, .post, token: ada)
            #expect(body?["upvotes"] as? Int == 33, "one vote per reader")

            // Bob's token can only withdraw Bob's vote: Ada's stays.
            (status, body) = try await Self.vote(client, .delete, token: bob)
            #expect(status == .ok)
            #expect(body?["upvotes"] as? Int == 33)

            (status, body) = try await Self.vote(client, .delete, token: ada)
            #expect(body?["upvotes"] as? Int == 32)

            #expect(try await Self.vote(client, .post, token: nil).0 == .unauthorized)
            #expect(try await Self.vote(client, .post, token: "pb_forged").0 == .unauthorized)
        }
    }

    @Test func revokedTokensStopWorking() async throws {
        try await TestApp.withApp { client in
            var (visitor, token) = try await Self.token(for: "ada", client: client)
            let settings = try await visitor.get("/settings")
            let revoke = try await visitor.post("/settings/tokens/1/revoke", ["csrf": try Visitor.csrf(in: settings)])
            #expect(revoke.status == .seeOther)
            #expect(try await Self.vote(client, .post, token: token).0 == .unauthorized)
            #expect(try await visitor.get("/settings").body.contains("revoked"))
        }
    }

    @Test func settingsNeedALogin() async throws {
        try await TestApp.withApp { client in
            let (status, location) = try await client.execute(uri: "/settings", method: .get) { ($0.status, $0.headers[.location]) }
            #expect(status == .seeOther)
            #expect(location == "/login?next=/settings")
        }
    }
}

@Suite struct ForYouTests {
    @Test func recommendsPapersLikeTheUpvotedOnesAndSaysWhy() async throws {
        try await TestApp.withApp(semantic: true) { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let before = try await ada.get("/papers/for-you")
            #expect(before.body.contains("Upvote a few papers"))

            let page = try await ada.get("/papers/2405.17247")
            _ = try await ada.post("/papers/2405.17247/upvote", ["csrf": try Visitor.csrf(in: page), "action": "add"])
            let picks = try await ada.get("/papers/for-you")
            #expect(picks.status == .ok)
            #expect(picks.body.contains("Because you upvoted <a href=\"/papers/2405.17247\">An Introduction to Vision-Language Modeling</a>"))
            #expect(!picks.body.contains("<h2><a href=\"/papers/2405.17247\">"), "never the upvoted paper itself")
            #expect(picks.body.components(separatedBy: "<article class=\"card\">").count - 1 == 27)
        }
    }

    @Test func leavesOutPapersTheDigestAlreadySent() async throws {
        try await TestApp.withApp(semantic: true) { client, store in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let page = try await ada.get("/papers/2405.17247")
            _ = try await ada.post("/papers/2405.17247/upvote", ["csrf": try Visitor.csrf(in: page), "action": "add"])
            let shownBefore = try await ada.get("/papers/for-you").body
            #expect(shownBefore.contains("<h2><a href=\"/papers/2405.17399\">"))

            // The digest sent 2405.17399 to ada's subscription.
            let reader = try #require(try await store.reader(named: "ada"))
            let subscriber = try await store.subscribe(email: reader.email, userID: reader.id, now: Date())
            _ = try await store.confirm(subscriberID: subscriber.id, now: Date())
            let day = FeedDay("2024-05-28")!
            _ = try await store.enqueueDigest(date: day, now: Date())
            try await store.markComposed(
                [DigestComposition(subscriberID: subscriber.id, messageID: "<1@x>", paperIDs: ["2405.17399"], pickIDs: [])],
                date: day,
                now: Date()
            )
            try await store.markSent(subscriberID: subscriber.id, date: day, now: Date())

            let shownAfter = try await ada.get("/papers/for-you").body
            #expect(!shownAfter.contains("<h2><a href=\"/papers/2405.17399\">"))
            #expect(shownAfter.components(separatedBy: "<article class=\"card\">").count - 1 == 26)
        }
    }

    @Test func needsALogin() async throws {
        try await TestApp.withApp { client in
            let location = try await client.execute(uri: "/papers/for-you", method: .get) { $0.headers[.location] }
            #expect(location == "/login?next=/papers/for-you")
        }
    }
}

@Suite struct SettingsTests {
    @Test func changingThePasswordLogsOutOtherSessions() async throws {
        try await TestApp.withApp { client in
            var laptop = Visitor(client: client)
            _ = try await laptop.signUp()
            var phone = Visitor(client: client)
            let login = try await phone.get("/login")
            _ = try await phone.post(
                "/login",
                ["csrf": try Visitor.csrf(in: login), "email": "ada@example.org", "password": "correct horse battery"]
            )
            #expect(try await phone.get("/").body.contains("/u/ada"))

            let settings = try await laptop.get("/settings")
            let wrong = try await laptop.post(
                "/settings/password",
                ["csrf": try Visitor.csrf(in: settings), "current": "nope", "password": "a brand new secret"]
            )
            #expect(wrong.status == .badRequest)
            let changed = try await laptop.post(
                "/settings/password",
                ["csrf": try Visitor.csrf(in: settings), "current": "correct horse battery", "password": "a brand new secret"]
            )
            #expect(changed.status == .ok)
            #expect(changed.body.contains("Password changed"))
            #expect(try await laptop.get("/").body.contains("/u/ada"), "this session stays")
            #expect(!(try await phone.get("/").body.contains("/u/ada")), "the other session ended")

            var later = Visitor(client: client)
            let form = try await later.get("/login")
            let old = try await later.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "password": "correct horse battery"]
            )
            #expect(old.status == .unauthorized)
            let new = try await later.post(
                "/login",
                ["csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "password": "a brand new secret"]
            )
            #expect(new.status == .seeOther)
        }
    }

    @Test func upvoteFormsAnswerJSONForTheScript() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let page = try await ada.get("/papers/2405.15738")
            #expect(page.body.contains("/static/upvote.js"))
            let csrf = try Visitor.csrf(in: page)
            let body = "csrf=\(csrf)&action=add"
            let (status, text) = try await client.execute(
                uri: "/papers/2405.15738/upvote",
                method: .post,
                headers: [.cookie: "pb_session=\(ada.cookie!)", .contentType: "application/x-www-form-urlencoded", .accept: "application/json"],
                body: ByteBuffer(string: body)
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .ok)
            let answer = try JSONDecoder().decode(VoteService.Outcome.self, from: Data(text.utf8))
            #expect(answer == VoteService.Outcome(id: "2405.15738", upvotes: 33, upvoted: true))
        }
    }
}
