import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaperboyCore
import PaperboyIngest
import PaperboyTestSupport
import Synchronization
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// A real HTTP server on loopback that replays recorded arXiv API answers by `id_list`.
enum ArxivReplay {
    static let responses: [String: String] = [
        "2405.20001": "one.xml", "2405.20001,2405.20002": "several.xml", "2404.00001": "old.xml",
        "2405.29999": "empty.xml", "2405.28888": "error.xml", "2405.27777": "truncated.xml",
    ]

    /// Runs `body` with the base URL of a live replay server; counts the requests it served.
    final class Hits: Sendable {
        let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
    }

    static func withServer(_ body: @Sendable (String, Hits) async throws -> Void) async throws {
        let hits = Hits()
        let router = Router()
        router.get("/api/query") { request, _ -> Response in
            hits.count.withLock { $0 += 1 }
            let ids = request.uri.queryParameters.get("id_list") ?? ""
            if ids == "2405.25555" { return Response(status: .serviceUnavailable) }
            guard let name = responses[ids],
                let url = Bundle.module.url(forResource: "Fixtures/arxiv/\(name)", withExtension: nil),
                let data = try? Data(contentsOf: url)
            else { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "not found"))) }
            return Response(status: .ok, headers: [.contentType: "application/atom+xml"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/api/query", hits)
        }
    }

    /// The production back-off (1 s, then 2 s), slept on `clock`.
    static func client(_ baseURL: String, clock: any WallClock) -> ArxivClient {
        ArxivClient(
            baseURL: baseURL,
            timeout: .seconds(5),
            attempts: 3,
            backoff: .seconds(1),
            clock: clock,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
    }
}

@Suite struct ArxivClientTests {
    @Test func readsOneAndSeveralPapers() async throws {
        try await ArxivReplay.withServer { url, _ in
            let client = ArxivReplay.client(url, clock: TestClock())
            let one = try await client.papers(ids: [ArxivID("2405.20001")!])
            let paper = try #require(one.first)
            #expect(paper.id == "2405.20001")
            #expect(paper.title == "Sparse Mixtures of Experts for Long-Context Reasoning")
            #expect(paper.authors == ["Ada Lovelace", "Alan Turing"])
            #expect(paper.categories == ["cs.CL", "cs.LG"])
            #expect(paper.publishedAt == "2024-05-24T17:34:15.000Z")
            #expect(paper.summary == "We route tokens to experts. Long contexts need it & more.")
            let several = try await client.papers(ids: [ArxivID("2405.20001")!, ArxivID("2405.20002")!])
            #expect(several.map(\.id) == ["2405.20001", "2405.20002"])
            #expect(several[1].title == "Reward Models <Revisited>")
        }
    }

    @Test func notFoundErrorsTruncationAndOutages() async throws {
        try await ArxivReplay.withServer { url, hits in
            let clock = TestClock()
            let client = ArxivReplay.client(url, clock: clock)
            let none = try await client.papers(ids: [ArxivID("2405.29999")!])
            #expect(none.isEmpty)
            await #expect(throws: ArxivFetchError.self) { try await client.papers(ids: [ArxivID("2405.28888")!]) }
            await #expect(throws: ArxivFetchError.self) { try await client.papers(ids: [ArxivID("2405.27777")!]) }
            let before = hits.value
            await #expect(throws: ArxivFetchError.unavailable("HTTP 503")) {
                try await clock.advancingToEachDeadline { try await client.papers(ids: [ArxivID("2405.25555")!]) }
            }
            let after = hits.value
            #expect(after - before == 3, "retried with backoff, three attempts")
        }
    }

    @Test(.timeLimit(.minutes(1))) func backOffsWaitOnTheClockAndDoubleEachTime() async throws {
        try await ArxivReplay.withServer { url, hits in
            let clock = TestClock(now: 100)
            let client = ArxivReplay.client(url, clock: clock)
            let fetch = Task { try await client.papers(ids: [ArxivID("2405.25555")!]) }  // always 503

            await clock.sleepers(atLeast: 1)
            #expect(hits.value == 1)
            #expect(clock.deadlines == [101], "a second after the first failure")
            clock.advance(by: .milliseconds(500))
            #expect(clock.deadlines == [101], "half-way: no second attempt yet")
            #expect(hits.value == 1)
            clock.advance(by: .milliseconds(500))

            await clock.sleepers(atLeast: 1)
            #expect(hits.value == 2)
            #expect(clock.deadlines == [103], "then two seconds")
            clock.advance(by: .seconds(2))

            await #expect(throws: ArxivFetchError.unavailable("HTTP 503")) { try await fetch.value }
            #expect(hits.value == 3, "three attempts, then the last error")
            #expect(clock.sleptDurations == [.seconds(1), .seconds(2)], "no back-off after the last attempt")
            #expect(clock.now == 103)
        }
    }
}

@Suite struct SubmissionTests {
    /// The app with the replayed arXiv, whose back-offs pass on a test clock that follows them.
    static func withApp(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await ArxivReplay.withServer { url, _ in
            let clock = TestClock()
            try await TestApp.withApp(arxiv: ArxivReplay.client(url, clock: clock)) { client in
                try await clock.advancingToEachDeadline { try await body(client) }
            }
        }
    }

    @Test func aReaderSubmitsAPaperToTodaysFeed() async throws {
        try await Self.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let form = try await ada.get("/submit")
            let done = try await ada.post("/submit", ["csrf": try Visitor.csrf(in: form), "id": "https://arxiv.org/abs/2405.20001v1"])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/papers/2405.20001")
            let paper = try await ada.get("/papers/2405.20001")
            #expect(paper.body.contains("Sparse Mixtures of Experts for Long-Context Reasoning"))
            #expect(paper.body.contains("href=\"/papers/date/2024-05-28\""), "featured today (the fixed clock's day)")
            let profile = try await ada.get("/u/ada")
            #expect(profile.body.contains("Sparse Mixtures of Experts"))

            let again = try await ada.post("/submit", ["csrf": try Visitor.csrf(in: form), "id": "2405.20001"])
            #expect(again.status == .conflict)
            #expect(again.body.contains("already on the feed"))
        }
    }

    @Test(arguments: [
        ("2404.00001", HTTPResponse.Status.badRequest, "days ago"),
        ("2405.29999", .notFound, "has no paper"),
        ("2405.28888", .notFound, "has no paper"),
        ("not an id", .badRequest, "is not an arXiv id"),
        ("2405.15738", .conflict, "already on the feed"),
        ("2405.25555", .badGateway, "could not be reached"),
    ])
    func refusalsSayWhy(_ id: String, _ status: HTTPResponse.Status, _ message: String) async throws {
        try await Self.withApp { client in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let form = try await ada.get("/submit")
            let page = try await ada.post("/submit", ["csrf": try Visitor.csrf(in: form), "id": id])
            #expect(page.status == status)
            #expect(page.body.contains(message))
        }
    }

    @Test func theAPISubmitsWithATokenAndEnforcesTheDailyLimit() async throws {
        try await Self.withApp { client in
            let (_, token) = try await APITokenTests.token(for: "ada", client: client)
            func submit(_ id: String, token: String?) async throws -> (HTTPResponse.Status, String) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(
                    uri: "/api/papers/submit",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: "{\"id\": \"\(id)\"}")
                ) { ($0.status, String(buffer: $0.body)) }
            }
            #expect(try await submit("2405.20001", token: nil).0 == .unauthorized)
            let created = try await submit("2405.20001", token: token)
            #expect(created.0 == .created)
            #expect(created.1.contains("\"submittedBy\":\"ada\""))
            let daily = try #require(try json(try await client.get("/api/daily_papers?date=2024-05-28&submitter=ada").body) as? [Any])
            #expect(daily.count == 1)
        }
    }
}
