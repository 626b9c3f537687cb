import Foundation
import PaperboyCore
import PaperboyTestSupport
import Testing

@testable import PaperboyIngest

/// The OAI-PMH client against the replay server serving real arXiv pages.
@Suite(.enabled(if: Recordings.available, "needs ../shared/data beside the repository"))
struct OAIPMHClientTests {
    static let harvestStart = OAIListRequest.start(metadataPrefix: .oaiDC, set: "cs", from: "2021-03-20", until: "2021-03-30")

    private func client(
        _ server: ReplayServer,
        path: String = "/oai",
        spacing: Duration = .zero,
        clock: any WallClock = TestClock()
    ) -> OAIPMHClient {
        OAIPMHClient(
            baseURL: server.baseURL + path,
            spacing: spacing,
            retry: UpstreamRetryPolicy(attempts: 3, backoff: .seconds(5), maxWait: .seconds(300)),
            clock: clock
        )
    }

    /// Follows resumption tokens from `start` to the last page.
    private func harvest(_ client: OAIPMHClient, from start: OAIListRequest) async throws -> [OAIPage] {
        var pages: [OAIPage] = []
        var request = start
        while true {
            let page = try await client.listRecords(request)
            pages.append(page)
            guard !page.isLast, let token = page.resumptionToken, pages.count < 10 else { return pages }
            request = .resume(token: token)
        }
    }

    @Test func queriesNameTheHarvestOrCarryTheTokenOpaquely() {
        #expect(
            OAIPMHClient.query(for: Self.harvestStart)
                == "verb=ListRecords&metadataPrefix=oai_dc&set=cs&from=2021-03-20&until=2021-03-30"
        )
        #expect(
            OAIPMHClient.query(for: .start(metadataPrefix: .arXivRaw, set: "physics:hep-th", from: nil, until: nil))
                == "verb=ListRecords&metadataPrefix=arXivRaw&set=physics%3Ahep-th"
        )
        #expect(OAIPMHClient.query(for: .resume(token: "6965856|1001")) == "verb=ListRecords&resumptionToken=6965856%7C1001")
        #expect(OAIPMHClient.query(for: .resume(token: "a+b/c=d&e%20f")) == "verb=ListRecords&resumptionToken=a%2Bb%2Fc%3Dd%26e%2520f")
    }

    @Test func legacyHarvestFollowsItsTokensToAllRecords() async throws {
        try await ReplayServer.with { server in
            try server.serveOAIPages(Recordings.legacyHarvestPages)
            let pages = try await harvest(client(server), from: Self.harvestStart)
            #expect(pages.count == 3)
            let records = pages.flatMap(\.records)
            #expect(records.count == 2358)
            #expect(Set(records.map(\.identifier)).count == 2358)
            #expect(records.allSatisfy { $0.paper != nil })
            #expect(pages.map(\.cursor) == [0, 1000, 2000])
            #expect(pages.map(\.completeListSize) == [2358, 2358, 2358])
            #expect(pages.last?.resumptionToken == "")
            #expect(pages.map(\.responseDate) == ["2024-01-30T08:19:16Z", "2024-01-30T08:20:31Z", "2024-01-30T08:21:02Z"])
            #expect(
                server.requests.map(\.query) == [
                    ["verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs", "from": "2021-03-20", "until": "2021-03-30"],
                    ["verb": "ListRecords", "resumptionToken": "6965856|1001"],
                    ["verb": "ListRecords", "resumptionToken": "6965856|2001"],
                ]
            )
            #expect(server.requests.allSatisfy { $0.header("User-Agent")?.hasPrefix("Paperboy/") == true })
        }
    }

    @Test func legacyEndpointRedirectIsFollowed() async throws {
        try await ReplayServer.with { server in
            try server.serveOAIPages([Recordings.upstreamFile("arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-cs_2015-01-16_2015-01-18.xml")])
            server.redirectLegacyOAI()
            let page = try await client(server, path: "/oai2").listRecords(
                .start(metadataPrefix: .arXiv, set: "cs", from: "2015-01-16", until: "2015-01-18")
            )
            #expect(page.records.count == 46)
            #expect(server.requests.map(\.path) == ["/oai2", "/oai"])
            #expect(server.requests.map(\.status) == [301, 200])
        }
    }

    @Test func requestsStartThreeSecondsApartOnTheClock() async throws {
        try await ReplayServer.with { server in
            try server.serveOAIPages(Recordings.legacyHarvestPages)
            let clock = TestClock(now: 1_000)
            let client = client(server, spacing: .seconds(3), clock: clock)
            let pages = try await clock.advancingToEachDeadline { try await harvest(client, from: Self.harvestStart) }
            #expect(pages.count == 3)
            #expect(clock.sleptDurations == [.seconds(3), .seconds(3)])
            #expect(clock.now == 1_006)
        }
    }

    @Test func requestsAreSpacedInRealTime() async throws {
        try await ReplayServer.with { server in
            // A 3-record page, parsed in a millisecond: without spacing the requests would
            // follow each other at once.
            let file = "arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-physics-hep-th_from-2017-12-14.xml"
            try server.serveOAIPages([Recordings.upstreamFile(file)])
            // arXiv's 3 s scaled down to 0.3 s, on the real clock: the request log's arrival
            // times show the gaps.
            let client = client(server, spacing: .milliseconds(300), clock: SystemClock())
            let request = OAIListRequest.start(metadataPrefix: .arXiv, set: "physics:hep-th", from: "2017-12-14", until: nil)
            for _ in 0..<3 {
                #expect(try await client.listRecords(request).records.count == 3)
            }
            let instants = server.requests.map(\.instant)
            #expect(instants.count == 3)
            for (earlier, later) in zip(instants, instants.dropFirst()) {
                #expect(later - earlier >= .milliseconds(290))
            }
        }
    }

    @Test func serviceUnavailableWaitsForRetryAfterThenKeepsTheSpacing() async throws {
        try await ReplayServer.with { server in
            try server.serveOAIPages(Recordings.legacyHarvestPages)
            server.inject(.answer(.throttled(503, retryAfter: "10")), path: "/oai")
            let clock = TestClock()
            let client = client(server, spacing: .seconds(3), clock: clock)
            let first = try await clock.advancingToEachDeadline { try await client.listRecords(Self.harvestStart) }
            #expect(first.records.count == 1000)
            // The retry starts after Retry-After (10 s > the 3 s spacing): no extra wait.
            #expect(clock.sleptDurations == [.seconds(10)])
            #expect(server.requests.map(\.status) == [503, 200])
            _ = try await clock.advancingToEachDeadline { try await client.listRecords(.resume(token: "6965856|1001")) }
            #expect(clock.sleptDurations == [.seconds(10), .seconds(3)])
        }
    }

    @Test func persistentUnavailabilityEndsThrottled() async throws {
        try await ReplayServer.with { server in
            server.inject(.answer(.throttled(503, retryAfter: "20")), path: "/oai", times: 10)
            let clock = TestClock()
            await #expect(throws: UpstreamError.throttled(status: 503, retryAfter: .seconds(20))) {
                try await clock.advancingToEachDeadline { try await client(server, clock: clock).listRecords(Self.harvestStart) }
            }
            #expect(server.requests.count == 3)
        }
    }

    @Test func errorPagesAnswerAsOAIErrors() async throws {
        try await ReplayServer.with { server in
            let (served, skipped) = try server.serveOAIPages([Recordings.upstreamFile("arxiv-oai/errors")])
            #expect(served.count == 3)
            #expect(skipped.map(\.lastPathComponent) == ["error_badArgument_listrecords-with-identifier.xml"])
            await #expect(
                throws: UpstreamError.oai(code: "badResumptionToken", message: "The resumptionToken supplied is illegal for this repository")
            ) {
                try await client(server).listRecords(.resume(token: "3"))
            }
            let empty = try await client(server).listRecords(.start(metadataPrefix: .arXivRaw, set: "moo", from: nil, until: nil))
            #expect(empty.records.isEmpty)
            #expect(empty.isLast)
        }
    }

    @Test func opaqueTokensReachTheServerUnchanged() async throws {
        try await ReplayServer.with { server in
            // A new-service style token: URL-encoded text with characters that must survive.
            let token = "verb%3DListRecords%26set%3Dcs|expirationDate=2026-10-04T03:47:03Z+x/y"
            let page = try Recordings.data("arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-cs_2015-01-16_2015-01-18.xml")
            server.route("/oai", query: ["verb": "ListRecords", "resumptionToken": token], .xml(page))
            let answer = try await client(server).listRecords(.resume(token: token))
            #expect(answer.records.count == 46)
            #expect(server.requests.first?.query["resumptionToken"] == token)
        }
    }

    @Test func truncatedPageIsABadBody() async throws {
        try await ReplayServer.with { server in
            try server.serveOAIPages(Recordings.legacyHarvestPages)
            server.inject(.truncatedBody(keeping: nil), path: "/oai")
            let error = await #expect(throws: UpstreamError.self) { try await client(server).listRecords(Self.harvestStart) }
            guard case .badBody = error else {
                Issue.record("expected badBody, got \(String(describing: error))")
                return
            }
        }
    }
}
