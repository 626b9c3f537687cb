import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// `/admin` and what editors do to the feed, through HTTP, on the two fixture days.
@Suite struct AdminTests {
    /// A paper of 2024-05-28 in the fixtures.
    static let paperID = "2405.17399"
    static let title = "Transformers Can Do Arithmetic with the Right Embeddings"

    /// The app with the replayed arXiv, and "ada" signed up and made an admin on the command line.
    static func withAdmin(
        _ body: @Sendable @escaping (_ ada: Visitor, _ client: any TestClientProtocol, _ store: any AppStore) async throws -> Void
    ) async throws {
        try await ArxivReplay.withServer { url, _ in
            let clock = TestClock()
            try await TestApp.withApp(arxiv: ArxivReplay.client(url, clock: clock)) { client, store in
                try await clock.advancingToEachDeadline {
                    var ada = Visitor(client: client)
                    _ = try await ada.signUp()
                    try await AdminService(store: store, clock: TestApp.noonAfterLastDay).grant(email: "ada@example.org")
                    try await body(ada, client, store)
                }
            }
        }
    }

    static func dailyIDs(_ client: any TestClientProtocol, _ date: String) async throws -> [String] {
        let items = try #require(try json(try await client.get("/api/daily_papers?date=\(date)").body) as? [[String: Any]])
        return items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }

    @Test func theAreaIsNotFoundForVisitorsAndReadersAndItsFormsChangeNothing() async throws {
        try await TestApp.withApp { client, store in
            var visitor = Visitor(client: client)
            #expect(try await visitor.get("/admin").status == .notFound)
            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            #expect(try await bob.get("/admin").status == .notFound)
            #expect(!(try await bob.get("/").body.contains("href=\"/admin\"")), "no link either")
            let csrf = try Visitor.csrf(in: try await bob.get("/submit"))
            let hide = try await bob.post("/admin/papers/hide", ["csrf": csrf, "id": Self.paperID])
            #expect(hide.status == .notFound)
            let feature = try await bob.post("/admin/feature", ["csrf": csrf, "id": "2405.20001", "date": "2024-05-28"])
            #expect(feature.status == .notFound)
            #expect(try await Self.dailyIDs(client, "2024-05-28").contains(Self.paperID))
            #expect(try await store.adminActions(limit: 10).isEmpty)
            let reader = try #require(try await store.reader(named: "bob"))
            await #expect(throws: AdminService.Refusal.notAnAdmin) {
                try await AdminService(store: store, clock: TestApp.noonAfterLastDay).setPaperHidden(Self.paperID, true, by: reader)
            }
        }
    }

    @Test func anAdminFormWithoutTheSessionsTokenIsRefused() async throws {
        try await Self.withAdmin { admin, client, store in
            var ada = admin
            let unsigned = try await ada.post("/admin/papers/hide", ["id": Self.paperID])
            #expect(unsigned.status == .forbidden)
            #expect(try await ada.post("/admin/papers/hide", ["csrf": "forged", "id": Self.paperID]).status == .forbidden)
            #expect(try await Self.dailyIDs(client, "2024-05-28").contains(Self.paperID))
            #expect(try await store.adminActions(limit: 10).count == 1, "the grant only")
        }
    }

    @Test func theDashboardShowsSubmissionsSignUpsTheLogAndSyncStatus() async throws {
        try await Self.withAdmin { admin, _, _ in
            var ada = admin
            let page = try await ada.get("/admin")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "private, no-store")
            #expect(page.body.contains("href=\"/admin\""), "the header links to the area")
            #expect(page.body.contains("Recent submissions"))
            #expect(page.body.contains(Self.title))
            #expect(page.body.contains("<td>ada@example.org</td>"), "sign-ups")
            #expect(page.body.contains("<td>cli</td><td>grant-admin</td><td>ada@example.org</td>"), "the log")
            #expect(page.body.contains("id=\"sync-status\""))
            #expect(page.body.contains("28 entries"))
        }
    }

    @Test func theSyncSectionShowsEachUpstreamsLastRunErrorAndNextRun() async throws {
        try await Self.withAdmin { admin, _, store in
            var ada = admin
            let started = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z
            let run = try await store.beginSyncRun(source: "hf-daily", startedAt: started)
            try await store.finishSyncRun(
                id: run,
                endedAt: started + 3,
                counts: SyncCounts(fetched: 8, new: 41, updated: 7, rejected: 2),
                error: nil,
                keep: 10
            )
            let failed = try await store.beginSyncRun(source: "arxiv", startedAt: started)
            try await store.finishSyncRun(
                id: failed,
                endedAt: started + 1,
                counts: SyncCounts(),
                error: "arxiv:cs:arXiv: cannot reach the upstream: <refused>",
                keep: 10
            )
            try await store.setNextSyncRun(source: "hf-daily", at: started + 1800)
            let page = try await ada.get("/admin")
            let hf = try #require(page.body.range(of: "id=\"sync-hf-daily\"")).upperBound
            let row = String(page.body[hf...].prefix(600))
            #expect(row.contains("2026-05-28T20:26:40Z → 2026-05-28T20:26:43Z"))
            #expect(row.contains("<td>8 days</td><td>41</td><td>7</td><td>2</td>"))
            #expect(row.contains("2026-05-28T20:56:40Z"), "the next run")
            #expect(page.body.contains("cannot reach the upstream: &lt;refused&gt;"), "the arXiv error, escaped")
        }
    }

    @Test func featuringPutsAPaperOnThatDaysPageTheAPIAndTheAtomFeed() async throws {
        try await Self.withAdmin { admin, client, store in
            var ada = admin
            let csrf = try Visitor.csrf(in: try await ada.get("/admin"))
            // Too old for a reader's submission; editors may feature it.
            let done = try await ada.post("/admin/feature", ["csrf": csrf, "id": "https://arxiv.org/abs/2404.00001", "date": "2024-05-28"])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/papers/2404.00001")
            #expect(try await client.get("/papers/date/2024-05-28").body.contains("An Old Paper"))
            #expect(try await Self.dailyIDs(client, "2024-05-28").contains("2404.00001"))
            #expect(try await client.get("/feeds/daily.atom").body.contains("An Old Paper"))
            let submitted = try await store.feedEntries(FeedQuery(days: FeedDay("2024-05-28")!...FeedDay("2024-05-28")!, submitter: "ada"))
            #expect(submitted.map(\.paper.id) == ["2404.00001"], "the editor is the submitter")

            let again = try await ada.post("/admin/feature", ["csrf": csrf, "id": "2404.00001", "date": "2024-05-28"])
            #expect(again.status == .conflict)
            #expect(again.body.contains("already on the feed of 2024-05-28"))
            let future = try await ada.post("/admin/feature", ["csrf": csrf, "id": "2404.00001", "date": "2024-06-01"])
            #expect(future.status == .badRequest)
            let bad = try await ada.post("/admin/feature", ["csrf": csrf, "id": "2404.00001", "date": "yesterday"])
            #expect(bad.status == .badRequest)

            // Un-featuring is hiding that day's entry.
            let hidden = try await ada.post("/admin/entries/hide", ["csrf": csrf, "id": "2404.00001", "date": "2024-05-28"])
            #expect(hidden.status == .seeOther)
            #expect(!(try await Self.dailyIDs(client, "2024-05-28").contains("2404.00001")))
            let log = try await store.adminActions(limit: 10)
            #expect(log.map(\.kind) == [.hideEntry, .feature, .grantAdmin])
            #expect(log.first?.actor.name == "ada")
            #expect(log.first.map { $0.at.hasSuffix("Z") && $0.at.count == 20 } == true, "dated, in UTC")
        }
    }

    @Test func hidingAPaperTakesItOffTheFeedAPITrendingAndSearchAndShowingItBringsItBack() async throws {
        try await Self.withAdmin { admin, client, store in
            var ada = admin
            let page = try await ada.get("/papers/date/2024-05-28")
            #expect(page.body.contains("action=\"/admin/entries/hide\""), "admins get a hide button on cards")
            let csrf = try Visitor.csrf(in: page)
            let done = try await ada.post("/admin/papers/hide", ["csrf": csrf, "id": Self.paperID, "next": "/papers/date/2024-05-28"])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/papers/date/2024-05-28")

            #expect(!(try await client.get("/papers/date/2024-05-28").body.contains(Self.title)))
            #expect(!(try await client.get("/").body.contains(Self.title)))
            #expect(!(try await Self.dailyIDs(client, "2024-05-28").contains(Self.paperID)))
            #expect(!(try await client.get("/papers/trending").body.contains(Self.title)))
            #expect(!(try await client.get("/api/daily_papers?sort=trending").body.contains(Self.paperID)))
            #expect(!(try await client.get("/feeds/daily.atom").body.contains(Self.title)))
            #expect(!(try await client.get("/api/papers?limit=100").body.contains(Self.paperID)))
            #expect(!(try await client.get("/api/papers/search?q=transformers+arithmetic+embeddings").body.contains(Self.paperID)))
            #expect(try await client.get("/search?q=\(Self.paperID)").status != .seeOther, "its id no longer leads to it")
            #expect(!(try await client.get("/api/papers/suggest?q=transformers+can").body.contains(Self.paperID)), "nor a suggestion")
            #expect(try await client.get("/papers/\(Self.paperID)").status == .notFound)
            #expect(try await client.get("/api/papers/\(Self.paperID)").status == .notFound)
            let asAdmin = try await ada.get("/papers/\(Self.paperID)")
            #expect(asAdmin.status == .ok, "admins still reach the page")
            #expect(asAdmin.body.contains("Hidden by the editors"))
            #expect(try await ada.get("/admin").body.contains("action=\"/admin/papers/unhide\""))

            let shown = try await ada.post("/admin/papers/unhide", ["csrf": csrf, "id": Self.paperID])
            #expect(shown.headers[.location] == "/admin")
            #expect(try await client.get("/papers/date/2024-05-28").body.contains(Self.title))
            #expect(try await Self.dailyIDs(client, "2024-05-28").contains(Self.paperID))
            #expect(try await client.get("/api/papers/search?q=transformers+arithmetic+embeddings").body.contains(Self.paperID))
            #expect(try await client.get("/api/papers/suggest?q=transformers+can").body.contains(Self.paperID))
            #expect(try await client.get("/papers/\(Self.paperID)").status == .ok)

            let log = try await store.adminActions(limit: 10)
            #expect(log.map(\.kind) == [.unhidePaper, .hidePaper, .grantAdmin])
            #expect(log.prefix(2).allSatisfy { $0.actor.name == "ada" && $0.actor.readerID != nil && $0.target == Self.paperID })
        }
    }

    @Test func aReaderCannotSubmitAgainWhatTheEditorsHid() async throws {
        try await Self.withAdmin { admin, client, store in
            var ada = admin
            let csrf = try Visitor.csrf(in: try await ada.get("/admin"))
            _ = try await ada.post("/admin/feature", ["csrf": csrf, "id": "2405.20001", "date": "2024-05-27"])
            _ = try await ada.post("/admin/entries/hide", ["csrf": csrf, "id": "2405.20001", "date": "2024-05-27"])
            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            let refused = try await bob.post("/submit", ["csrf": try Visitor.csrf(in: try await bob.get("/submit")), "id": "2405.20001"])
            #expect(refused.status == .conflict)
            #expect(refused.body.contains("The editors took 2405.20001 off the feed"))
            #expect(try await store.featuredDays(of: "2405.20001").isEmpty)
        }
    }
}
