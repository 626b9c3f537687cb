import Foundation
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyTestSupport
import Testing

/// The arXiv API client (submissions, `paperboy fetch arxiv`) against real recorded answers
/// served by the replay server.
@Suite(.enabled(if: Recordings.available, "needs ../shared/data beside the repository"))
struct ArxivClientReplayTests {
    static let fixtures = Recordings.upstreamFile("arxiv-api/arxiv.py-fixtures")

    func client(_ server: ReplayServer) -> ArxivClient {
        ArxivClient(baseURL: "\(server.baseURL)/api/query", attempts: 1, logger: Logger(label: "test"))
    }

    @Test func aRecordedLookupGivesThePaperWithItsAuthorsAndDates() async throws {
        try await ReplayServer.with { server in
            let served = try server.serveArxivAPI(fixtures: Self.fixtures)
            #expect(served.contains("1605.08386") && served.contains("0808.05394,1707.08567"))
            let papers = try await client(server).papers(ids: [try #require(ArxivID("https://arxiv.org/abs/1605.08386v1"))])
            let paper = try #require(papers.first)
            #expect(papers.count == 1)
            #expect(paper.id == "1605.08386")
            #expect(paper.title == "Heat-bath random walks with Markov bases")
            #expect(paper.authors == ["Caprice Stanley", "Tobias Windisch"])
            #expect(paper.publishedAt?.hasPrefix("2016-05-26") == true)
            #expect(server.requests.first?.query["id_list"] == "1605.08386")
        }
    }

    @Test func anUnknownIdIsAbsentAndAMixedLookupKeepsTheKnownOne() async throws {
        try await ReplayServer.with { server in
            try server.serveArxivAPI(fixtures: Self.fixtures)
            #expect(try await client(server).papers(ids: [try #require(ArxivID("0808.05394"))]).isEmpty)
            let mixed = try await client(server).papers(ids: [try #require(ArxivID("0808.05394")), try #require(ArxivID("1707.08567"))])
            #expect(mixed.map(\.id) == ["1707.08567"])
            #expect(mixed.first?.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications")
        }
    }
}
