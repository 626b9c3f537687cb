import AsyncHTTPClient
import Foundation
import PaperboyCore
import PaperboyTestSupport
import Testing

@testable import PaperboyIngest

/// The Hugging Face daily-papers client against the replay server serving real captures.
@Suite(.enabled(if: Recordings.available, "needs ../shared/data beside the repository"))
struct HFDailyClientTests {
    static let day = FeedDay("2024-05-27")!
    static let path = "/api/daily_papers"

    private func client(
        _ server: ReplayServer,
        clock: any WallClock = TestClock(),
        token: String? = nil,
        // Generous: on a loaded 2-core machine (the whole suite at once) an answer can be late,
        // and only the timeout tests mean to hit it; they pass their own.
        timeout: Duration = .seconds(60),
        retry: UpstreamRetryPolicy = UpstreamRetryPolicy(attempts: 3, backoff: .seconds(1), maxWait: .seconds(60))
    ) -> HFDailyClient {
        HFDailyClient(endpoint: server.baseURL, token: token, timeout: timeout, retry: retry, clock: clock)
    }

    private func capture(_ day: FeedDay) throws -> Data {
        try Data(contentsOf: Recordings.hfDailyPapers.appendingPathComponent("\(day).json"))
    }

    @Test func realCaptureRoundTripsAndParses() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            let body = try await client(server).dailyPapers(on: Self.day)
            #expect(try body == capture(Self.day))
            let parsed = try HFDailyParser().parse(body, fileName: "\(Self.day).json")
            #expect(parsed.entries.first?.paper.id == "2405.15738")
            #expect(parsed.rejections.isEmpty)

            // A day nobody submitted to is an empty list, not an error.
            let empty = try await client(server).dailyPapers(on: FeedDay("2024-05-26")!)
            #expect(String(decoding: empty, as: UTF8.self) == "[]")

            let request = try #require(server.requests.first)
            #expect(request.method == "GET")
            #expect(request.path == Self.path)
            #expect(request.query == ["date": "2024-05-27"])
            #expect(request.header("User-Agent")?.hasPrefix("Paperboy/") == true)
            #expect(request.header("Authorization") == nil)
        }
    }

    @Test func tokenIsSentAsBearer() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            _ = try await client(server, token: "hf_secret123").dailyPapers(on: Self.day)
            #expect(server.requests.map { $0.header("Authorization") } == ["Bearer hf_secret123"])
        }
    }

    @Test func serviceUnavailableWaitsForRetryAfter() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            server.inject(.answer(.throttled(503, retryAfter: "7")), path: Self.path)
            let clock = TestClock()
            let body = try await clock.advancingToEachDeadline { try await client(server, clock: clock).dailyPapers(on: Self.day) }
            #expect(try body == capture(Self.day))
            #expect(clock.sleptDurations == [.seconds(7)])
            #expect(server.requests.map(\.status) == [503, 200])
        }
    }

    @Test func retryAfterAsHTTPDateIsRelativeToTheClock() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            // 2015-10-21T07:28:00Z is 1,445,412,480 s; the clock stands 30 s before it.
            server.inject(.answer(.throttled(429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT")), path: Self.path)
            let clock = TestClock(now: 1_445_412_450)
            _ = try await clock.advancingToEachDeadline { try await client(server, clock: clock).dailyPapers(on: Self.day) }
            #expect(clock.sleptDurations == [.seconds(30)])
        }
    }

    @Test func tooManyRequestsRetriesThenGivesUpThrottled() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            // An hour is capped to the policy's longest wait.
            server.inject(.answer(.throttled(429, retryAfter: "3600")), path: Self.path, times: 5)
            let clock = TestClock()
            await #expect(throws: UpstreamError.throttled(status: 429, retryAfter: .seconds(3600))) {
                try await clock.advancingToEachDeadline { try await client(server, clock: clock).dailyPapers(on: Self.day) }
            }
            #expect(clock.sleptDurations == [.seconds(60), .seconds(60)])
            #expect(server.requests.count == 3)
        }
    }

    @Test func serverErrorsBackOffExponentially() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            server.inject(.answer(.text("upstream broke", status: 502)), path: Self.path, times: 3)
            let clock = TestClock()
            let retry = UpstreamRetryPolicy(attempts: 4, backoff: .seconds(1), maxWait: .seconds(60))
            let body = try await clock.advancingToEachDeadline { try await client(server, clock: clock, retry: retry).dailyPapers(on: Self.day) }
            #expect(try body == capture(Self.day))
            #expect(clock.sleptDurations == [.seconds(1), .seconds(2), .seconds(4)])
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        try await ReplayServer.with { server in
            server.inject(.answer(.text("Unauthorized", status: 401)), path: Self.path, times: 5)
            await #expect(throws: UpstreamError.status(401, "Unauthorized")) {
                try await client(server).dailyPapers(on: Self.day)
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func droppedConnectionMidBodyIsUnreachable() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            server.inject(.dropMidBody, path: Self.path, times: 5)
            let error = await #expect(throws: UpstreamError.self) {
                try await client(server, retry: UpstreamRetryPolicy(attempts: 1)).dailyPapers(on: Self.day)
            }
            guard case .unreachable = error else {
                Issue.record("expected unreachable, got \(String(describing: error))")
                return
            }
            #expect(error?.isOutage == true)
        }
    }

    @Test func droppedConnectionIsRetriedAfterBackOff() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            server.inject(.dropMidBody, path: Self.path)
            let clock = TestClock()
            let body = try await clock.advancingToEachDeadline { try await client(server, clock: clock).dailyPapers(on: Self.day) }
            #expect(try body == capture(Self.day))
            #expect(clock.sleptDurations == [.seconds(1)])
            #expect(server.requests.count == 2)
        }
    }

    @Test func truncatedJSONIsABadBody() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            server.inject(.truncatedBody(keeping: nil), path: Self.path, times: 5)
            let error = await #expect(throws: UpstreamError.self) { try await client(server).dailyPapers(on: Self.day) }
            guard case .badBody = error else {
                Issue.record("expected badBody, got \(String(describing: error))")
                return
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func htmlInsteadOfJSONIsABadBody() async throws {
        try await ReplayServer.with { server in
            server.route(
                Self.path,
                ReplayResponse(status: 200, headers: [ReplayHeader("Content-Type", "text/html")], body: Array("<html>login</html>".utf8))
            )
            await #expect(throws: UpstreamError.badBody("not complete JSON (18 bytes)")) { try await client(server).dailyPapers(on: Self.day) }
        }
    }

    @Test func slowHeadersPastTheTimeoutTimeOut() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            // The server would answer after a minute; the client gives up long before. The bound is
            // loose on purpose: a loaded 2-core CI machine once took 5.4 s to notice a 0.3 s timeout.
            server.inject(.slow(beforeHeaders: .seconds(60)), path: Self.path)
            let started = ContinuousClock.now
            await #expect(throws: UpstreamError.timedOut(seconds: 1)) {
                try await client(server, timeout: .milliseconds(300), retry: UpstreamRetryPolicy(attempts: 1)).dailyPapers(on: Self.day)
            }
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func slowBodyPastTheTimeoutTimesOut() async throws {
        try await ReplayServer.with { server in
            server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
            // The head arrives at once; the body drags on for 30 × 1 s, far past the timeout even on
            // a loaded machine.
            server.inject(.slow(beforeHeaders: .zero, betweenChunks: .seconds(1), chunks: 31), path: Self.path)
            await #expect(throws: UpstreamError.timedOut(seconds: 1)) {
                try await client(server, timeout: .milliseconds(400), retry: UpstreamRetryPolicy(attempts: 1)).dailyPapers(on: Self.day)
            }
        }
    }

    @Test func aReplacedDayIsFetchedAnew() async throws {
        try await ReplayServer.with { server in
            let query = ["date": "2024-05-27"]
            server.route(Self.path, query: query, .json(#"[{"paper":{"id":"2405.15738","upvotes":3}}]"#))
            let first = try await client(server).dailyPapers(on: Self.day)
            server.route(Self.path, query: query, .json(#"[{"paper":{"id":"2405.15738","upvotes":41}}]"#))
            let second = try await client(server).dailyPapers(on: Self.day)
            #expect(String(decoding: first, as: UTF8.self).contains("\"upvotes\":3}"))
            #expect(String(decoding: second, as: UTF8.self).contains("\"upvotes\":41}"))
        }
    }
}
