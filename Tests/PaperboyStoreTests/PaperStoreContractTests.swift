import Foundation
import PaperboyCore
import PaperboyStore
import Testing

/// The papers part of the contract on every backend: feeds, imports and their merge rules,
/// listings, and what the search index reads.
@Suite struct PaperStoreContractTests {
    /// A bulk import (PostgreSQL sends it by COPY) and a small one (one INSERT) store every
    /// field as given, text that COPY must escape included.
    @Test(arguments: StoreBackend.allCases)
    func bulkAndSmallImportsStoreEveryFieldAsGiven(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let awkward = "tab\there, new\nline, carriage\rreturn, back\\slash \\N, quote \" ', NUL-free Ünïcödé 🚀 and \\x00"
        func paper(_ number: Int) -> Paper {
            let full = number.isMultiple(of: 2)
            return Paper(
                id: String(format: "2406.%05d", number),
                title: "Paper \(number): \(awkward)",
                summary: full ? awkward + "\n\nSecond paragraph." : "",
                authors: full ? ["Åsa Öberg", "O'Brien\tTab"] : [],
                publishedAt: full ? "2024-06-0\(number % 9 + 1)T00:00:00.000Z" : nil,
                categories: ["cs.CL", "cs.LG"],
                githubRepo: full ? "https://github.com/a/b" : nil,
                githubStars: full ? number : nil,
                projectPage: full ? "https://example.org/\(number)?a=1&b=2" : nil,
                aiSummary: full ? awkward : nil,
                aiKeywords: full ? ["k\\1", "k\t2"] : [],
                organization: full ? Organization(name: "org", fullname: "Org \\ Inc.\t", avatar: nil) : nil,
                discussionID: full ? "abc\(number)" : nil,
                upvotes: number,
                source: .arxiv,
                listingUpdatedAt: full ? "2024-06-10" : nil
            )
        }
        let bulk = (0..<250).map(paper)
        let small = (250..<253).map(paper)
        #expect(try await store.importArxivPapers(bulk) == ImportCounts(papers: 250, new: 250))
        #expect(try await store.importArxivPapers(small) == ImportCounts(papers: 3, new: 3))
        let stored = try await store.papers(ids: (bulk + small).map(\.id))
        #expect(stored.sorted { $0.id < $1.id } == bulk + small)
        // Again: nothing changes, nothing is inserted twice.
        #expect(try await store.importArxivPapers(bulk) == ImportCounts(papers: 250))
    }

    @Test(arguments: StoreBackend.allCases)
    func listsAnOrganisationsPapersNewestFirst(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let google = Organization(name: "google", fullname: "Google")
        func paper(_ id: String, _ published: String?, _ organization: Organization?) -> Paper {
            Paper(id: id, title: id, publishedAt: published, organization: organization, source: .arxiv)
        }
        _ = try await store.importArxivPapers([
            paper("2405.00011", "2024-05-20T00:00:00.000Z", google),
            paper("2405.00012", "2024-05-22T00:00:00.000Z", google),
            paper("2405.00013", nil, google),
            paper("2405.00014", "2024-05-23T00:00:00.000Z", Organization(name: "googleresearch")),
            paper("2405.00015", "2024-05-24T00:00:00.000Z", nil),
        ])
        #expect(try await store.papers(ofOrganization: "google", limit: 10).map(\.id) == ["2405.00012", "2405.00011", "2405.00013"])
        #expect(try await store.papers(ofOrganization: "google", limit: 1).map(\.id) == ["2405.00012"])
        #expect(try await store.papers(ofOrganization: "Google", limit: 10).isEmpty, "the handle, exactly")
    }

    @Test(arguments: StoreBackend.allCases)
    func storesAFeedDayAndReadsItBackMostUpvotedFirst(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func reimportingTheSameCaptureChangesNothingAndALaterCaptureUpdatesUpvotes(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func anOlderDayNeverOverwritesWhatANewerDayCaptured(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func aWeekListsAPaperFeaturedTwiceOnlyOnce(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func filtersBySubmitterAndPaginates(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func arxivListingsAddCategoriesWithoutErasingFeedData(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func theSamePaperTwiceInABatchMergesAsOneAfterTheOther(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let first = Paper(id: "2405.00001", title: "Version 1", summary: "One.", source: .arxiv, listingUpdatedAt: "2024-05-01")
        let second = Paper(id: "2405.00001", title: "Version 2", categories: ["cs.CL"], source: .arxiv, listingUpdatedAt: "2024-05-02")
        #expect(try await store.importArxivPapers([first, second, first]) == ImportCounts(papers: 3, new: 1, updated: 1))
        let paper = try #require(try await store.paper(id: "2405.00001"))
        #expect(paper.title == "Version 2")
        #expect(paper.summary == "One.", "the later version had no abstract: the earlier one stays")
        #expect(paper.categories == ["cs.CL"])

        let day = FeedDay("2024-05-27")!
        let counts = try await store.importFeedDay(
            day,
            entries: [entry("2405.00002", day: "2024-05-27", upvotes: 1), entry("2405.00002", day: "2024-05-27", upvotes: 4)]
        )
        #expect(counts == ImportCounts(days: 1, papers: 2, new: 1, updated: 1))
        #expect(try await store.feedEntries(FeedQuery(days: day...day)).map(\.upvotes) == [4])
        #expect(try await store.paper(id: "2405.00002")?.upvotes == 4)
    }

    @Test(arguments: StoreBackend.allCases)
    func listsAllPapersByKeysetCursor(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let papers = (1...5).map { Paper(id: "2405.0000\($0)", title: "P\($0)", source: .arxiv) }
        _ = try await store.importArxivPapers(papers)
        let first = try await store.papers(after: nil, limit: 2)
        let second = try await store.papers(after: first.last?.id, limit: 2)
        let third = try await store.papers(after: second.last?.id, limit: 2)
        #expect((first + second + third).map(\.id) == papers.map(\.id))
        #expect(try await store.statistics() == StoreStatistics(papers: 5, feedDays: 0, entries: 0))
    }

    @Test(arguments: StoreBackend.allCases)
    func textThatLooksLikeSQLIsStoredLiterally(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let title = "Robert'); DROP TABLE papers;-- \"quoted\" <b>bold</b> $1 $$"
        _ = try await store.importFeedDay(
            FeedDay("2024-05-27")!,
            entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1, title: title)]
        )
        #expect(try await store.paper(id: "2405.00001")?.title == title)
        #expect(try await store.statistics().papers == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func listsWithAnyCharactersRoundTrip(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let authors = ["O\"Brien", "back\\slash", "tab\there", "line\nbreak", "\u{1}control", "日本語 🚀", ""]
        let paper = Paper(id: "2405.00001", title: "T", authors: authors, categories: ["cs.CL"], aiKeywords: ["a,b", "[x]"], source: .arxiv)
        _ = try await store.importArxivPapers([paper])
        let stored = try await store.paper(id: "2405.00001")
        #expect(stored?.authors == authors)
        #expect(stored?.aiKeywords == ["a,b", "[x]"])
    }

    @Test(arguments: StoreBackend.allCases)
    func everyColumnOfAPaperRoundTrips(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let paper = Paper(
            id: "2405.00001",
            title: "Title",
            summary: "Abstract.",
            authors: ["A", "B"],
            publishedAt: "2024-05-24T17:34:15.000Z",
            categories: ["cs.CL", "cs.AI"],
            githubRepo: "https://github.com/a/b",
            githubStars: 42,
            projectPage: "https://example.org",
            aiSummary: "Summary.",
            aiKeywords: ["k"],
            organization: Organization(name: "org", fullname: "Org", avatar: "https://example.org/a.png"),
            discussionID: "d1",
            upvotes: 7,
            source: .huggingFace
        )
        let captured = DailyEntry(
            day: FeedDay("2024-05-27")!,
            paper: paper,
            submittedAt: "2024-05-27T08:00:00.000Z",
            submitter: Submitter(name: "ada", fullname: "Ada L.", avatarURL: "https://example.org/ada.png"),
            upvotes: 7,
            numComments: 3,
            thumbnail: "https://example.org/t.png",
            rawItem: Data(#"{"paper":{"id":"2405.00001"}}"#.utf8),
            position: 0
        )
        _ = try await store.importFeedDay(captured.day, entries: [captured])
        #expect(try await store.paper(id: "2405.00001") == paper)
        #expect(try await store.feedEntries(FeedQuery()) == [captured])
    }

    // MARK: - Search support

    @Test(arguments: StoreBackend.allCases)
    func revisionsTellWhatChangedSinceAnIndexWasBuilt(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importArxivPapers((1...3).map { Paper(id: "2405.0000\($0)", title: "P\($0)", source: .arxiv) })
        let all = try await settledPapers(store, after: RevisionPosition(revision: 0), limit: 100, atLeast: 3)
        #expect(all.map(\.paper.id) == ["2405.00001", "2405.00002", "2405.00003"])
        let builtAt = try #require(all.last?.revision)

        let firstPage = try await store.papers(after: RevisionPosition(revision: 0), limit: 2)
        let rest = try await store.papers(after: try #require(firstPage.last?.position), limit: 2)
        #expect((firstPage + rest).map(\.paper.id) == all.map(\.paper.id))

        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00002", day: "2024-05-27", upvotes: 4)])
        let changed = try await settledPapers(store, after: RevisionPosition(revision: builtAt), limit: 100, atLeast: 1)
        #expect(changed.map(\.paper.id) == ["2405.00002"])
        #expect(try #require(changed.first?.revision) > builtAt)
    }

    @Test(arguments: StoreBackend.allCases)
    func embeddingsRoundTripAndAreDroppedWhenTheTextChanges(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

        try await store.saveEmbeddings([PaperEmbedding(paperID: "2405.00002", vector: vector, passages: [])], model: "m")
        try await store.deleteEmbeddings(model: "other")
        #expect(try await store.embeddingCount(model: "m") == 1)
        try await store.deleteEmbeddings(model: "m")
        #expect(try await store.embeddings(model: "m", after: nil, limit: 10).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func passageVectorsRoundTripAtEightBitsAndMissingOnesAreRecomputed(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
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

    @Test(arguments: StoreBackend.allCases)
    func storageSizeIsSomeBytes(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importArxivPapers([Paper(id: "2405.00001", title: "One", source: .arxiv)])
        #expect(try await store.storageSize() > 0)
    }
}

/// `papers(after:)` once the writes made so far are final to it. PostgreSQL hands out only
/// revisions below the oldest transaction still running on the server (so a search index
/// never skips a write that commits late), and on the shared test cluster other tests'
/// transactions hold that back for a moment; SQLite answers at once. Waits until at least
/// `count` papers come back, or 30 seconds have passed, and returns what came back last.
func settledPapers(
    _ store: any PaperStore,
    after position: RevisionPosition,
    limit: Int,
    atLeast count: Int
) async throws -> [RevisedPaper] {
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
        let papers = try await store.papers(after: position, limit: limit)
        if papers.count >= count || ContinuousClock.now > deadline { return papers }
        try await Task.sleep(for: .milliseconds(10))
    }
}
