import Foundation
import PaperboyCore
import PaperboyStore
import Testing

/// The sync part of the contract: synced days, harvest checkpoints written with their papers,
/// the run log and the schedule.
@Suite struct SyncStoreTests {
    func listed(_ id: String, title: String = "Listed", version: String? = nil) -> Paper {
        Paper(id: id, title: title, summary: "Abstract.", authors: ["A"], categories: ["cs.CL"], source: .arxiv, listingUpdatedAt: version)
    }

    @Test(arguments: StoreBackend.allCases)
    func syncedDaysAreRecordedOncePerDayAndTheLatestIsKnown(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        #expect(try await store.lastSyncedDay() == nil)
        let monday = SyncedDay(day: FeedDay("2024-05-27")!, fetchedAt: Date(timeIntervalSince1970: 1000), items: 12, isEmpty: false)
        let sunday = SyncedDay(day: FeedDay("2024-05-26")!, fetchedAt: Date(timeIntervalSince1970: 1000), items: 0, isEmpty: true)
        try await store.recordSyncedDay(monday)
        try await store.recordSyncedDay(sunday)
        var again = monday
        again.items = 15
        again.fetchedAt = Date(timeIntervalSince1970: 2000)
        try await store.recordSyncedDay(again)
        #expect(try await store.lastSyncedDay() == again)
        #expect(try await store.syncedDays(in: FeedDay("2024-05-01")!...FeedDay("2024-05-31")!) == [sunday, again])
    }

    @Test(arguments: StoreBackend.allCases)
    func aHarvestPageLandsWithItsCheckpoint(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv") == nil)
        let checkpoint = HarvestCheckpoint(
            source: "arxiv:cs:arXiv",
            from: "2024-05-27",
            until: "2024-05-28",
            resumptionToken: "t1",
            records: 2,
            nextFrom: "2024-05-29"
        )
        let counts = try await store.importHarvestPage([listed("2405.00001"), listed("2405.00002")], checkpoint: checkpoint)
        #expect(counts.papers == 2)
        #expect(counts.new == 2)
        #expect(try await store.harvestCheckpoint(source: "arxiv:cs:arXiv") == checkpoint)
        #expect(try await store.paper(id: "2405.00002")?.title == "Listed")

        var done = checkpoint
        done.resumptionToken = nil
        done.from = "2024-05-29"
        done.records = 0
        try await store.saveHarvestCheckpoint(done)
        #expect(try await store.harvestCheckpoints() == [done])
    }

    @Test(arguments: StoreBackend.allCases)
    func aNewVersionFromAHarvestUpdatesTheTextAndKeepsTheVotes(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 9)])
        let checkpoint = HarvestCheckpoint(source: "arxiv:cs:arXiv", from: nil)
        let counts = try await store.importHarvestPage([listed("2405.00001", title: "Version 2", version: "2024-06-01")], checkpoint: checkpoint)
        #expect(counts.updated == 1)
        let paper = try #require(try await store.paper(id: "2405.00001"))
        #expect(paper.title == "Version 2")
        #expect(paper.listingUpdatedAt == "2024-06-01")
        #expect(paper.upvotes == 9)
        #expect(try await store.featuredDays(of: "2405.00001") == [FeedDay("2024-05-27")!])
        let again = try await store.importHarvestPage([listed("2405.00001", title: "Version 1", version: "2024-05-20")], checkpoint: checkpoint)
        #expect(again.updated == 0)
        #expect(try await store.paper(id: "2405.00001")?.title == "Version 2")
    }

    @Test(arguments: StoreBackend.allCases)
    func theRunLogKeepsTheLatestRunsTheLatestFailureAndTheNextRun(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let failed = try await store.beginSyncRun(source: "hf-daily", startedAt: Date(timeIntervalSince1970: 100))
        try await store.finishSyncRun(
            id: failed,
            endedAt: Date(timeIntervalSince1970: 110),
            counts: SyncCounts(fetched: 1),
            error: "cannot reach the upstream",
            keep: 2
        )
        for start in [200.0, 300] {
            let id = try await store.beginSyncRun(source: "hf-daily", startedAt: Date(timeIntervalSince1970: start))
            try await store.finishSyncRun(
                id: id,
                endedAt: Date(timeIntervalSince1970: start + 5),
                counts: SyncCounts(fetched: 9, new: 3, updated: 2, rejected: 1),
                error: nil,
                keep: 2
            )
        }
        let running = try await store.beginSyncRun(source: "arxiv", startedAt: Date(timeIntervalSince1970: 400))
        try await store.setNextSyncRun(source: "hf-daily", at: Date(timeIntervalSince1970: 2100))

        let states = try await store.syncSourceStates()
        #expect(states.map(\.source) == ["arxiv", "hf-daily"])
        let arxiv = states[0]
        #expect(arxiv.lastRun?.id == running)
        #expect(arxiv.lastRun?.endedAt == nil)
        #expect(arxiv.nextRunAt == nil)
        let hf = states[1]
        #expect(hf.lastRun?.startedAt == Date(timeIntervalSince1970: 300))
        #expect(hf.lastRun?.counts == SyncCounts(fetched: 9, new: 3, updated: 2, rejected: 1))
        #expect(hf.lastFailure == nil, "only the latest 2 runs are kept; the failure was older")
        #expect(hf.nextRunAt == Date(timeIntervalSince1970: 2100))

        let failing = try await store.beginSyncRun(source: "hf-daily", startedAt: Date(timeIntervalSince1970: 500))
        try await store.finishSyncRun(id: failing, endedAt: Date(timeIntervalSince1970: 501), counts: SyncCounts(), error: "HTTP 500", keep: 2)
        let after = try #require(try await store.syncSourceStates().last)
        #expect(after.lastFailure?.error == "HTTP 500")
        #expect(after.lastFailure == after.lastRun)
    }
}
