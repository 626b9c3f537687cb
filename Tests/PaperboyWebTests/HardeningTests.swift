import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// The defects of the hardening review, each reproduced through the application.
@Suite struct HardeningTests {
    /// Known open-redirect payloads (PayloadsAllTheThings, OWASP): every one must become `/`.
    static let redirectPayloads = [
        "//evil.example", "///evil.example", "////evil.example", "/\\evil.example", "/\\/evil.example", "\\/evil.example",
        "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ /evil.example",
        "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%2f/evil.example", "/%2F%2Fevil.example",
        "/%5cevil.example", "/%5C%5Cevil.example", "https://evil.example", "http:evil.example", "//evil.example@paperboy",
        "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.example", "@evil.example",
        "/\u{0B}/evil.example", "/\u{0C}/evil.example", "/\u{00}/evil.example", "/\u{3000}/evil.example",
        "/\u{FF0F}evil.example", "%2F%2Fevil.example", " //evil.example", "/.\\evil.example/", "\t//evil.example",
        "/%E3%80%80/evil.example",
    ]

    @Test func loginRedirectsNeverLeaveTheSite() {
        #expect(Self.redirectPayloads.count >= 30)
        for payload in Self.redirectPayloads {
            #expect(AccountRoutes.safeNext(payload) == "/", "\(payload.debugDescription)")
        }
        for path in ["/", "/papers/2405.17247", "/search?q=diffusion%20models&mode=dense", "/papers/date/2024-05-28#top", "/u/ada"] {
            #expect(AccountRoutes.safeNext(path) == path)
        }
    }

    @Test func tabInNextAfterLogInRedirectsHome() async throws {
        try await TestApp.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            _ = try await ada.post("/logout", ["csrf": try Visitor.csrf(in: try await ada.get("/"))])
            let form = try await ada.get("/login")
            let login = try await ada.post(
                "/login",
                [
                    "csrf": try Visitor.csrf(in: form), "email": "ada@example.org", "password": "correct horse battery",
                    "next": "/\t/evil.example",
                ]
            )
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == "/")
        }
    }

    @Test func bodiesOverTheLimitAre413NotServerErrors() async throws {
        let form = ByteBuffer(string: "csrf=x&email=" + String(repeating: "a", count: 70 * 1024))
        let small = ByteBuffer(string: "csrf=x&email=" + String(repeating: "a", count: 17 * 1024))
        try await TestApp.withApp { client in
            for path in [
                "/login", "/signup", "/logout", "/submit", "/settings/password", "/settings/tokens", "/settings/digest", "/papers/2405.17247/upvote",
            ] {
                let (status, body) = try await client.execute(
                    uri: path,
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: form
                ) { ($0.status, String(buffer: $0.body)) }
                #expect(status == .contentTooLarge, "\(path)")
                #expect(body.contains("64 KB"), "\(path)")
            }
            for path in ["/digest/subscribe", "/digest/unsubscribe?token=1.0.x"] {
                let status = try await client.execute(
                    uri: path,
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: small
                ) { $0.status }
                #expect(status == .contentTooLarge, "\(path)")
            }
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let tokenPage = try await ada.post("/settings/tokens", ["csrf": try Visitor.csrf(in: try await ada.get("/settings")), "name": "cli"])
            let token = try #require(tokenPage.body.firstMatch(of: /pb_[A-Za-z0-9_-]+/)).output
            let (status, json) = try await client.execute(
                uri: "/api/papers/submit",
                method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: small
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .contentTooLarge)
            #expect(json.contains("\"error\""), "JSON for the API: \(json)")
        }
    }

    @Test func headWorksWhereGetDoesAndWrongMethodsAre405() async throws {
        try await TestApp.withApp { client in
            for path in ["/", "/papers/2405.17247", "/api/daily_papers", "/feeds/daily.atom", "/static/style.css", "/ping", "/login"] {
                let get = try await client.execute(uri: path, method: .get) { ($0.status, $0.body.readableBytes) }
                let head = try await client.execute(uri: path, method: .head) { ($0.status, $0.body.readableBytes) }
                #expect(get.0 == .ok && get.1 > 0, "\(path)")
                #expect(head.0 == .ok, "HEAD \(path)")
                #expect(head.1 == 0, "HEAD \(path) has no body")
            }
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/papers/2405.17247", .delete, "GET, HEAD"), ("/logout", .get, "POST"), ("/login", .put, "GET, HEAD, POST"),
                ("/api/papers/submit", .get, "POST"), ("/api/daily_papers", .post, "GET, HEAD"),
            ]
            for (path, method, allowed) in cases {
                let (status, allow) = try await client.execute(uri: path, method: method) { ($0.status, $0.headers[.allow]) }
                #expect(status == .methodNotAllowed, "\(method) \(path)")
                #expect(allow == allowed, "\(method) \(path)")
            }
            #expect(try await client.execute(uri: "/no/such/page", method: .delete) { $0.status } == .notFound)
        }
    }

    @Test func everyKindOfResponseCarriesTheSecurityHeaders() async throws {
        try await TestApp.withApp { client in
            for path in [
                "/", "/papers/2405.17247", "/papers/2405.17247.md", "/api/daily_papers", "/feeds/daily.atom", "/feeds/daily.rss",
                "/static/upvote.js", "/no/such/page", "/api/papers/0000.00000", "/login",
            ] {
                let headers = try await client.execute(uri: path, method: .get) { $0.headers }
                #expect(headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "\(path)")
                #expect(headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(path)")
                #expect(headers[.xContentTypeOptions] == "nosniff", "\(path)")
                #expect(headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)")
                #expect(headers[HTTPField.Name("Referrer-Policy")!] == "strict-origin-when-cross-origin", "\(path)")
                #expect(headers[.strictTransportSecurity] == nil, "plain http: no HSTS")
            }
        }
        let https = AppConfiguration(port: 0, publicURL: "https://papers.example.org", bcryptCost: 4)
        try await TestApp.withApp(configuration: https) { client in
            let headers = try await client.execute(uri: "/", method: .get) { $0.headers }
            #expect(headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
        }
    }

    @Test func anonymousFormsUseASignedCookieInsteadOfASession() async throws {
        try await TestApp.withApp { client in
            var visitor = Visitor(client: client)
            let form = try await visitor.get("/login")
            #expect(visitor.cookie == nil, "no session for a visitor")
            let formCookie = try #require(visitor.cookies["pb_form"])
            #expect(try Visitor.csrf(in: form) == formCookie)
            // The same browser keeps its token; a token without the cookie, or a cookie whose
            // signature was not made here, is refused.
            #expect(try Visitor.csrf(in: try await visitor.get("/signup")) == formCookie)
            var stranger = Visitor(client: client)
            #expect(try await stranger.post("/login", ["csrf": formCookie, "email": "a@example.org", "password": "x"]).status == .forbidden)
            let forged = "abc.def"
            var forger = Visitor(client: client, cookies: ["pb_form": forged])
            #expect(try await forger.post("/login", ["csrf": forged, "email": "a@example.org", "password": "x"]).status == .forbidden)
            // The real token works: a wrong password is an ordinary 401, not a CSRF refusal.
            #expect(try await visitor.post("/login", ["csrf": formCookie, "email": "a@example.org", "password": "x"]).status == .unauthorized)
        }
    }

    @Test func absoluteLinksNeverComeFromAnUntrustedHostHeader() async throws {
        try await TestApp.withApp { client in
            let feed = try await client.execute(uri: "/feeds/daily.atom", method: .get, headers: [HTTPField.Name("Host")!: "evil.example"]) {
                String(buffer: $0.body)
            }
            #expect(!feed.contains("evil.example"))
            #expect(feed.contains("http://127.0.0.1:0/papers/"))
        }
        func request(host: String?) -> Request {
            Request(head: HTTPRequest(method: .get, scheme: "http", authority: host, path: "/feeds/daily.atom"), body: .init(buffer: ByteBuffer()))
        }
        let open = LinkBase(publicURL: nil, allowedHosts: ["Papers.example.org"], listenAddress: "http://127.0.0.1:8080")
        #expect(open.base(for: request(host: "papers.example.org:8443")) == "http://papers.example.org:8443")
        #expect(open.base(for: request(host: "evil.example")) == "http://127.0.0.1:8080")
        #expect(open.base(for: request(host: "papers.example.org\"><x")) == "http://127.0.0.1:8080")
        #expect(open.base(for: request(host: nil)) == "http://127.0.0.1:8080")
        let configured = LinkBase(publicURL: "https://papers.example.org/", allowedHosts: [], listenAddress: "http://127.0.0.1:8080")
        #expect(configured.base(for: request(host: "evil.example")) == "https://papers.example.org")
        #expect(LinkBase.host(of: "[::1]:8080") == "[::1]")
    }

    @Test(.timeLimit(.minutes(1))) func submissionsGiveUpOnArxivWithinTheirBudget() async throws {
        /// An arXiv that never answers: it waits for an hour of the test clock, which never comes.
        struct Silent: ArxivFetching {
            let clock: TestClock
            func papers(ids: [ArxivID]) async throws -> [Paper] {
                try await clock.sleep(for: .seconds(3600))
                return []
            }
        }
        let clock = TestClock(now: TestApp.noonAfterLastDay.now)
        var configuration = AppConfiguration(port: 0, bcryptCost: 4)
        configuration.arxivTimeout = .seconds(10)
        try await TestApp.withApp(clock: clock, configuration: configuration, arxiv: Silent(clock: clock)) { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let csrf = try Visitor.csrf(in: try await ada.get("/submit"))
            let submitting = Task { [ada] in
                var ada = ada
                return try await ada.post("/submit", ["csrf": csrf, "id": "2405.99999"])
            }
            await clock.sleepers(atLeast: 2)  // the fetch, and the time limit on it
            let started = clock.now
            #expect(clock.deadlines == [started + 10, started + 3600])
            clock.advance(by: .seconds(9))
            #expect(clock.deadlines == [started + 10, started + 3600], "9 s in: still waiting for arXiv")
            clock.advance(by: .seconds(1))
            let page = try await submitting.value
            #expect(page.status == .gatewayTimeout)
            #expect(page.body.contains("arXiv did not answer within 10 seconds"))
            #expect(clock.deadlines.isEmpty, "the fetch was cancelled")
        }
    }
}

@Suite struct RouteTableTests {
    @Test func patternsMatchSegmentsAndCollectMethods() {
        let table = RouteTable()
        table.record([
            ("/papers/{id}", "GET"), ("/papers/:id/upvote", "POST"), ("/static/**", "GET"), ("/login", "GET"), ("/login", "POST"),
            ("/papers/trending", "GET"), ("/papers/{id}", "DELETE"),
        ])
        #expect(table.allowedMethods(for: "/papers/trending") == ["GET", "HEAD"], "the fixed name wins over {id}")
        #expect(table.allowedMethods(for: "/papers/2405.17247") == ["DELETE", "GET", "HEAD"])
        #expect(table.allowedMethods(for: "/papers/2405.17247/upvote") == ["POST"])
        #expect(table.allowedMethods(for: "/static/a/b.css") == ["GET", "HEAD"])
        #expect(table.allowedMethods(for: "/login/") == ["GET", "HEAD", "POST"])
        #expect(table.allowedMethods(for: "/papers") == nil)
        #expect(table.allowedMethods(for: "/papers/1/upvote/x") == nil)
    }
}

@Suite struct SearchLoadTests {
    @Test func queryVectorsAreKeptLeastRecentlyUsedFirstOut() {
        let cache = QueryVectorCache(capacity: 3)
        cache.store([1], for: "a")
        cache.store([2], for: "b")
        cache.store([3], for: "c")
        #expect(cache.vector(for: "a") == [1])  // a is now the most recent
        cache.store([4], for: "d")  // evicts b, the least recently used
        #expect(cache.vector(for: "b") == nil)
        #expect(cache.vector(for: "a") == [1])
        #expect(cache.vector(for: "c") == [3])
        #expect(cache.vector(for: "d") == [4])
        cache.store([5], for: "e")  // evicts a: c and d were used after it
        #expect(cache.count == 3)
        #expect(cache.vector(for: "a") == nil)
        #expect(cache.statistics.hits == 4)
        #expect(cache.statistics.misses == 2)
    }

    /// Starts a search that holds its slot until the continuation is yielded to.
    static func occupySlot(of admission: SearchAdmission) async -> (Task<Int, Error>, AsyncStream<Void>.Continuation) {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (started, starter) = AsyncStream.makeStream(of: Void.self)
        let running = Task {
            try await admission.run {
                starter.yield()
                for await _ in release { break }
                return 1
            }
        }
        for await _ in started { break }
        return (running, releaser)
    }

    @Test func searchesBeyondTheQueueAreRefusedAtOnce() async throws {
        let admission = SearchAdmission(limits: .init(concurrent: 1, queued: 1))
        let (running, releaser) = await Self.occupySlot(of: admission)
        let queued = Task { try await admission.run { 2 } }
        while admission.statistics.waiting < 1 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: DomainError.busy("Search is busy right now. Try again in a second.", retryAfter: 1)) {
            try await admission.run { 3 }
        }
        releaser.yield()
        #expect(try await running.value == 1)
        #expect(try await queued.value == 2)
        #expect(admission.statistics.refused == 1)
        #expect(admission.statistics.running == 0)
    }

    @Test func aNewcomerIsRefusedWhenItsExpectedWaitIsTooLong() async throws {
        // A search is first assumed to take 5 ms: behind one running search, a newcomer
        // would wait about that long, over a 2 ms bound, even though the queue has room.
        let admission = SearchAdmission(limits: .init(concurrent: 1, queued: 10, maximumWait: .milliseconds(2)))
        let (running, releaser) = await Self.occupySlot(of: admission)
        await #expect(throws: DomainError.self) { try await admission.run { 2 } }
        #expect(admission.statistics.waiting == 0)
        releaser.yield()
        #expect(try await running.value == 1)
        #expect(try await admission.run { 3 } == 3, "a free slot is taken at once")
    }
}
