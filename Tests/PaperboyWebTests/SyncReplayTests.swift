import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Testing

@testable import PaperboyApp

/// The HF mirror through the real client against the replay server serving real captures:
/// what a day looks like on the second sync when Hugging Face changed it in between.
@Suite(.enabled(if: Recordings.available, "needs ../shared/data beside the repository"))
struct SyncReplayTests {
    static let day = FeedDay("2026-06-01")!

    /// The day's capture with the first item's upvotes and comment count raised.
    static func capture(raisingFirstBy extra: Int) throws -> (Data, id: String, upvotes: Int, comments: Int) {
        let file = Recordings.hfDailyPapers.appendingPathComponent("\(day).json")
        var items = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: file)) as? [[String: Any]])
        var first = items[0]
        var paper = try #require(first["paper"] as? [String: Any])
        let upvotes = try #require(paper["upvotes"] as? Int) + extra
        let comments = (first["numComments"] as? Int ?? 0) + extra
        paper["upvotes"] = upvotes
        first["paper"] = paper
        first["numComments"] = comments
        items[0] = first
        return (try JSONSerialization.data(withJSONObject: items), try #require(paper["id"] as? String), upvotes, comments)
    }

    @Test func aDayWhoseUpvotesWentUpBetweenTwoSyncsIsUpdatedAndNothingElseMoves() async throws {
        try await withSyncStore { store in
            try await ReplayServer.with { server in
                let (original, id, upvotes, comments) = try Self.capture(raisingFirstBy: 0)
                server.route("/api/daily_papers", query: ["date": "\(Self.day)"], .json(original))
                let sync = HFDailySync(
                    store: store,
                    fetcher: HFDailyClient(endpoint: server.baseURL),
                    clock: FixedClock(Self.day, hour: 20)
                )
                let first = try await sync.run(from: Self.day, to: Self.day)
                let itemCount = try #require(try JSONSerialization.jsonObject(with: original) as? [Any]).count
                #expect(first.counts.new == itemCount && first.counts.updated == 0 && first.failure == nil)
                #expect(try await store.paper(id: id)?.upvotes == upvotes)

                let (raised, _, newUpvotes, newComments) = try Self.capture(raisingFirstBy: 25)
                server.route("/api/daily_papers", query: ["date": "\(Self.day)"], .json(raised))
                let second = try await sync.run(from: Self.day, to: Self.day)
                #expect(second.counts.new == 0)
                #expect(second.counts.updated == 1, "only the paper whose counts changed")
                #expect(try await store.paper(id: id)?.upvotes == newUpvotes)
                let entry = try #require(
                    try await store.feedEntries(FeedQuery(days: Self.day...Self.day, limit: 100)).first { $0.paper.id == id }
                )
                #expect(entry.upvotes == newUpvotes && entry.numComments == newComments && newComments == comments + 25)
                #expect(server.requests.count == 2)
            }
        }
    }

    @Test func aThrottledDayIsFetchedAfterRetryAfterAndATruncatedOneIsReportedNotStored() async throws {
        try await withSyncStore { store in
            try await ReplayServer.with { server in
                server.serveHFDailyPapers(from: Recordings.hfDailyPapers)
                let next = Self.day.adding(days: 1)
                server.inject(.answer(.throttled(503, retryAfter: "1")), path: "/api/daily_papers", query: ["date": "\(Self.day)"])
                server.inject(.truncatedBody(keeping: 500), path: "/api/daily_papers", query: ["date": "\(next)"], times: 10)
                let waits = TestClock()
                let sync = HFDailySync(
                    store: store,
                    fetcher: HFDailyClient(
                        endpoint: server.baseURL,
                        retry: UpstreamRetryPolicy(attempts: 2, backoff: .milliseconds(10)),
                        clock: waits
                    ),
                    clock: FixedClock(next, hour: 20)
                )
                let report = try await waits.advancingToEachDeadline { try await sync.run(from: Self.day, to: next) }
                #expect(report.counts.fetched == 1, "the throttled day, after waiting")
                #expect(waits.sleptDurations.first == .seconds(1), "as Retry-After said")
                #expect(try await store.feedEntries(FeedQuery(days: Self.day...Self.day, limit: 100)).isEmpty == false)
                #expect(try await store.feedEntries(FeedQuery(days: next...next, limit: 100)).isEmpty, "nothing of a cut-off day")
                #expect(report.failure?.message.contains("unreadable answer") == true, "\(String(describing: report.failure))")
                #expect(try await store.syncedDays(in: next...next).isEmpty, "a day that failed is not recorded as synced")
            }
        }
    }
}
