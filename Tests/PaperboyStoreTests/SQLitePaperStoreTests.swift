import Foundation
import GRDB
import PaperboyCore
import PaperboyStore
import PaperboyStoreSQLite
import Testing

/// A fresh database file per test, removed afterwards.
final class TemporaryStore {
    let directory: URL
    let path: String
    let store: SQLitePaperStore

    init(clock: any WallClock = SystemClock(), random: any RandomSource = SystemRandomSource()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-store-\(UUID().uuidString)")
        path = directory.appendingPathComponent("test.sqlite").path
        store = try SQLitePaperStore(path: path, clock: clock, random: random)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

func entry(_ id: String, day: String, upvotes: Int, title: String? = nil, submitter: String = "alice", comments: Int = 0) -> DailyEntry {
    let paper = Paper(
        id: id,
        title: title ?? "Paper \(id)",
        summary: "Abstract of \(id).",
        authors: ["Ada Lovelace", "Alan Turing"],
        publishedAt: "2024-05-24T17:34:15.000Z",
        upvotes: upvotes,
        source: .huggingFace
    )
    return DailyEntry(day: FeedDay(day)!, paper: paper, submitter: Submitter(name: submitter), upvotes: upvotes, numComments: comments)
}

@Suite struct SQLitePaperStoreTests {
    @Test func storesAFeedDayAndReadsItBackMostUpvotedFirst() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let day = FeedDay("2024-05-27")!
        let counts = try await store.importFeedDay(
            day,
            entries: [
                entry("2405.00001", day: "2024-05-27", upvotes: 3),
                entry("2405.00002", day: "2024-05-27", upvotes: 40),
            ]
        )
        #expect(counts == ImportCounts(days: 1, papers: 2, new: 2))

        let feed = try await store.feedEntries(FeedQuery(days: day...day))
        #expect(feed.map(\.paper.id) == ["2405.00002", "2405.00001"])
        #expect(feed.first?.paper.authors == ["Ada Lovelace", "Alan Turing"], "author order is kept")
        #expect(feed.first?.submitter?.name == "alice")
        #expect(try await store.latestFeedDay() == day)
        #expect(try await store.featuredDays(of: "2405.00001") == [day])
    }

    @Test func reimportingTheSameCaptureChangesNothingAndALaterCaptureUpdatesUpvotes() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let day = FeedDay("2024-05-27")!
        let capture = [entry("2405.00001", day: "2024-05-27", upvotes: 3)]
        _ = try await store.importFeedDay(day, entries: capture)
        let counterBefore = try await store.changeCounter()

        let again = try await store.importFeedDay(day, entries: capture)
        #expect(again == ImportCounts(days: 1, papers: 1, new: 0, updated: 0))

        let later = try await store.importFeedDay(day, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 9, comments: 2)])
        #expect(later.updated == 1)
        let stored = try await store.paper(id: "2405.00001")
        #expect(stored?.upvotes == 9)
        let feed = try await store.feedEntries(FeedQuery(days: day...day))
        #expect(feed.first?.upvotes == 9)
        #expect(feed.first?.numComments == 2)
        #expect(try await store.changeCounter() > counterBefore)
    }

    @Test func anOlderDayNeverOverwritesWhatANewerDayCaptured() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [entry("2405.00001", day: "2024-05-28", upvotes: 50, title: "New title")])
        let older = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [entry("2405.00001", day: "2024-05-27", upvotes: 5, title: "Old title")]
        )
        #expect(older.new == 1, "the paper is new on that day")
        let paper = try await store.paper(id: "2405.00001")
        #expect(paper?.upvotes == 50)
        #expect(paper?.title == "New title")
        #expect(try await store.featuredDays(of: "2405.00001").map(\.description) == ["2024-05-27", "2024-05-28"])
    }

    @Test func aWeekListsAPaperFeaturedTwiceOnlyOnce() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [entry("2405.00001", day: "2024-05-27", upvotes: 5), entry("2405.00002", day: "2024-05-27", upvotes: 1)]
        )
        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [entry("2405.00001", day: "2024-05-28", upvotes: 7)])
        let week = FeedPeriod.parseWeek("2024-W22")!
        let entries = try await store.feedEntries(FeedQuery(days: week.days))
        #expect(entries.map(\.paper.id) == ["2405.00001", "2405.00002"])
        #expect(entries.first?.day.description == "2024-05-28", "the latest day in the range represents the paper")

        let neighbours = try await store.neighbours(of: FeedDay("2024-05-28")!...FeedDay("2024-05-28")!)
        #expect(neighbours == FeedNeighbours(before: FeedDay("2024-05-27"), after: nil))
    }

    @Test func filtersBySubmitterAndPaginates() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [
                entry("2405.00001", day: "2024-05-27", upvotes: 5, submitter: "bob"),
                entry("2405.00002", day: "2024-05-27", upvotes: 4, submitter: "alice"),
                entry("2405.00003", day: "2024-05-27", upvotes: 3, submitter: "bob"),
            ]
        )
        let bobs = try await store.feedEntries(FeedQuery(submitter: "bob"))
        #expect(bobs.map(\.paper.id) == ["2405.00001", "2405.00003"])
        let secondPage = try await store.feedEntries(FeedQuery(limit: 2, offset: 2))
        #expect(secondPage.map(\.paper.id) == ["2405.00003"])
    }

    @Test func arxivListingsAddCategoriesWithoutErasingFeedData() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 5)])
        let listing = Paper(id: "2405.00001", title: "Listing title", categories: ["cs.CL"], source: .arxiv)
        let fresh = Paper(id: "2405.09999", title: "Only on arXiv", authors: ["X"], categories: ["cs.AI"], source: .arxiv)
        let counts = try await store.importArxivPapers([listing, fresh])
        #expect(counts == ImportCounts(papers: 2, new: 1, updated: 1))
        let merged = try await store.paper(id: "2405.00001")
        #expect(merged?.categories == ["cs.CL"])
        #expect(merged?.title == "Paper 2405.00001")
        #expect(merged?.upvotes == 5)
        #expect(try await store.importArxivPapers([listing, fresh]) == ImportCounts(papers: 2), "idempotent")
    }

    @Test func listsAllPapersByKeysetCursor() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let papers = (1...5).map { Paper(id: "2405.0000\($0)", title: "P\($0)", source: .arxiv) }
        _ = try await store.importArxivPapers(papers)
        let first = try await store.papers(after: nil, limit: 2)
        let second = try await store.papers(after: first.last?.id, limit: 2)
        let third = try await store.papers(after: second.last?.id, limit: 2)
        #expect((first + second + third).map(\.id) == papers.map(\.id))
        #expect(try await store.statistics() == StoreStatistics(papers: 5, feedDays: 0, entries: 0))
    }

    @Test func usesWALAndKeepsDataAcrossReopening() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 5)])
        let reopened = try SQLitePaperStore(path: temporary.path)
        #expect(try await reopened.paper(id: "2405.00001")?.upvotes == 5)
        let queue = try DatabaseQueue(path: temporary.path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func textThatLooksLikeSQLIsStoredLiterally() async throws {
        let temporary = try TemporaryStore()
        let title = "Robert'); DROP TABLE papers;-- \"quoted\" <b>bold</b>"
        _ = try await temporary.store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1, title: title)]
        )
        #expect(try await temporary.store.paper(id: "2405.00001")?.title == title)
        #expect(try await temporary.store.statistics().papers == 1)
    }

    @Test func listsWithAnyCharactersRoundTrip() async throws {
        let temporary = try TemporaryStore()
        let authors = ["O\"Brien", "back\\slash", "tab\there", "line\nbreak", "\u{1}control", "日本語 🚀", ""]
        let paper = Paper(id: "2405.00001", title: "T", authors: authors, categories: ["cs.CL"], aiKeywords: ["a,b", "[x]"], source: .arxiv)
        _ = try await temporary.store.importArxivPapers([paper])
        let stored = try await temporary.store.paper(id: "2405.00001")
        #expect(stored?.authors == authors)
        #expect(stored?.aiKeywords == ["a,b", "[x]"])
    }

    @Test func reportsAnUnwritableLocationInOneLine() {
        #expect(throws: StoreError.self) { try SQLitePaperStore(path: "/proc/paperboy/cannot.sqlite") }
    }
}

@Suite struct SearchSupportTests {
    @Test func revisionsTellWhatChangedSinceAnIndexWasBuilt() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importArxivPapers((1...3).map { Paper(id: "2405.0000\($0)", title: "P\($0)", source: .arxiv) })
        let all = try await store.papers(after: RevisionPosition(revision: 0), limit: 100)
        #expect(all.map(\.paper.id) == ["2405.00001", "2405.00002", "2405.00003"])
        let builtAt = try #require(all.last?.revision)

        let firstPage = try await store.papers(after: RevisionPosition(revision: 0), limit: 2)
        let rest = try await store.papers(after: try #require(firstPage.last?.position), limit: 2)
        #expect((firstPage + rest).map(\.paper.id) == all.map(\.paper.id))

        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00002", day: "2024-05-27", upvotes: 4)])
        let changed = try await store.papers(after: RevisionPosition(revision: builtAt), limit: 100)
        #expect(changed.map(\.paper.id) == ["2405.00002"])
    }

    @Test func embeddingsRoundTripAndAreDroppedWhenTheTextChanges() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importArxivPapers([
            Paper(id: "2405.00001", title: "One", source: .arxiv), Paper(id: "2405.00002", title: "Two", source: .arxiv),
        ])
        #expect(try await store.papersWithoutEmbedding(model: "m", limit: 10).map(\.id) == ["2405.00001", "2405.00002"])
        let vector: [Float] = [0.25, -1.5, .pi, 0]
        try await store.saveEmbeddings([PaperEmbedding(paperID: "2405.00001", vector: vector, passages: [])], model: "m")
        #expect(
            try await store.embeddings(model: "m", after: nil, limit: 10)
                == [PaperEmbedding(paperID: "2405.00001", vector: vector, passages: [])]
        )
        #expect(try await store.papersWithoutEmbedding(model: "m", limit: 10).map(\.id) == ["2405.00002"])
        #expect(try await store.embeddingCount(model: "m") == 1)
        #expect(try await store.embeddingCount(model: "other") == 0)

        // The feed brings a new title: the old embedding no longer describes the paper.
        _ = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1, title: "One, revised")]
        )
        #expect(try await store.embeddingCount(model: "m") == 0)
    }

    @Test func passageVectorsRoundTripAtEightBitsAndMissingOnesAreRecomputed() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.importArxivPapers([
            Paper(id: "2405.00001", title: "One", source: .arxiv), Paper(id: "2405.00002", title: "Two", source: .arxiv),
        ])
        let passages: [[Float]] = [[0.5, -0.25, 0.125, 0.01], [-1, 0, 0.3, 0.7]]
        try await store.saveEmbeddings(
            [
                PaperEmbedding(paperID: "2405.00001", vector: [1, 2, 3, 4], passages: passages),
                // Embedded before passages existed (migration 006): still counts as missing.
                PaperEmbedding(paperID: "2405.00002", vector: [4, 3, 2, 1]),
            ],
            model: "m"
        )
        let stored = try await store.embeddings(model: "m", after: nil, limit: 10)
        #expect(stored.map(\.paperID) == ["2405.00001", "2405.00002"])
        #expect(stored[1].passages == nil)
        let read = try #require(stored[0].passages)
        #expect(read.count == 2)
        for (got, want) in zip(read, passages) {
            let largest = want.map(abs).max()!
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { #expect(abs(g - w) <= largest / 254 + 1e-6) }
        }
        #expect(try await store.papersWithoutEmbedding(model: "m", limit: 10).map(\.id) == ["2405.00002"])
        #expect(try await store.embeddingCount(model: "m") == 1)
    }
}
