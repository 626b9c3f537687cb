import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyTestSupport
import Testing

@Suite struct SearchPageTests {
    @Test func findsAndHighlightsPapers() async throws {
        try await TestApp.withApp { client in
            let page = try await client.get("/search?q=vision+language+modeling")
            #expect(page.status == .ok)
            let firstResult = try #require(page.body.range(of: "<article class=\"card result\">"))
            let first = String(page.body[firstResult.lowerBound...].prefix(1200))
            #expect(first.contains("An Introduction to <mark>Vision</mark>-<mark>Language</mark> <mark>Modeling</mark>"))
            #expect(page.body.contains("value=\"vision language modeling\""), "the query stays in the box")
        }
    }

    @Test func theSearchPageHasOneSearchBox() async throws {
        try await TestApp.withApp { client in
            let page = try await client.get("/search?q=vision").body
            #expect(page.components(separatedBy: "role=\"search\"").count - 1 == 1)
            let home = try await client.get("/").body
            #expect(home.components(separatedBy: "role=\"search\"").count - 1 == 1, "the header's box elsewhere")
        }
    }

    @Test func anUnknownArxivIdOffersToSubmitItInsteadOfUnrelatedPapers() async throws {
        try await TestApp.withApp { client in
            let anonymous = try await client.get("/search?q=arXiv:2405.99999v2").body
            #expect(anonymous.contains("arXiv 2405.99999 is not in Paperboy yet"))
            #expect(!anonymous.contains("<article class=\"card result\">"), "no unrelated papers")
            #expect(anonymous.contains("href=\"/login?next=/search%3Fq%3D2405.99999\""))

            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let response = try await ada.get("/search?q=2405.99999")
            let page = response.body
            let form = try #require(page.range(of: "<form method=\"post\" action=\"/submit\" class=\"submit-offer\">"))
            let offer = String(page[form.lowerBound...].prefix(600))
            #expect(offer.contains("name=\"id\" value=\"2405.99999\""))
            #expect(offer.contains("name=\"csrf\" value=\"\(try Visitor.csrf(in: response))\""))
            #expect(offer.contains("Submit arXiv 2405.99999 to today&#39;s feed") || offer.contains("Submit arXiv 2405.99999 to today's feed"))
        }
    }

    @Test(arguments: ["2405.15738", "https://arxiv.org/abs/2405.15738v2", "arxiv.org/pdf/2405.15738.pdf", "  arXiv:2405.15738  "])
    func anArxivIdOrURLGoesStraightToThePaper(_ query: String) async throws {
        try await TestApp.withApp { client in
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (status, location) = try await client.execute(uri: "/search?q=\(encoded)", method: .get) {
                ($0.status, $0.headers[.location])
            }
            #expect(status == .seeOther)
            #expect(location == "/papers/2405.15738")
        }
    }

    @Test(arguments: [
        "\"unbalanced quote", "vision AND language OR NOT", "((( [model", "*", "title:vision", "🤖🚀 models", "%00%01%1F",
        "'; DROP TABLE papers; --", "%E2%80%AE", String(repeating: "transformer attention ", count: 500),
    ])
    func oddInputNeverErrors(_ query: String) async throws {
        try await TestApp.withApp { client in
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "%"))) ?? ""
            let page = try await client.get("/search?q=\(encoded)")
            #expect(page.status == .ok)
            let api = try await client.get("/api/papers/search?q=\(String(encoded.prefix(200)))")
            #expect(api.status == .ok || api.status == .badRequest)
            #expect(api.status != .internalServerError)
        }
    }

    @Test func escapesHostileTitlesWhileHighlighting() async throws {
        let hostile = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(
                id: "2405.99999",
                title: "<script>alert(1)</script> exploit",
                summary: "<img src=x onerror=alert(2)> exploit",
                source: .huggingFace
            ),
            upvotes: 1
        )
        try await TestApp.withApp(extraEntries: [hostile]) { client in
            let page = try await client.get("/search?q=script+exploit+img")
            #expect(page.status == .ok)
            #expect(!page.body.contains("<script>alert"))
            #expect(!page.body.contains("<img src=x"))
            #expect(page.body.contains("&lt;<mark>script</mark>&gt;"))
        }
    }

    @Test func filtersByDateAndCategory() async throws {
        let listed = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(
                id: "2405.99998",
                title: "Vision language survey",
                publishedAt: "2023-01-15T00:00:00.000Z",
                categories: ["cs.CV", "cs.CL"],
                source: .huggingFace
            ),
            upvotes: 1
        )
        try await TestApp.withApp(extraEntries: [listed]) { client in
            let cv = try #require(try json(try await client.get("/api/papers/search?q=vision+language&category=cs.CV").body) as? [[String: Any]])
            #expect(cv.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String } == ["2405.99998"])
            let old = try #require(try json(try await client.get("/api/papers/search?q=vision+language&to=2023-12-31").body) as? [[String: Any]])
            #expect(old.count == 1)
            let recent = try #require(try json(try await client.get("/api/papers/search?q=vision+language&from=2024-01-01").body) as? [[String: Any]])
            #expect(!recent.isEmpty)
            #expect(!recent.contains { ($0["paper"] as? [String: Any])?["id"] as? String == "2405.99998" })
            #expect(try await client.get("/api/papers/search?q=x&from=2024-13-01").status == .badRequest)
            let none = try #require(try json(try await client.get("/api/papers/search?q=vision&category=math.AG").body) as? [Any])
            #expect(none.isEmpty)
        }
    }
}

@Suite struct SearchAPITests {
    @Test func searchSpeaksHuggingFaceShapeAndValidates() async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/papers/search?q=ConvLLaVA&limit=3")
            #expect(response.status == .ok)
            let items = try #require(try json(response.body) as? [[String: Any]])
            let paper = try #require(items.first?["paper"] as? [String: Any])
            #expect(paper["id"] as? String == "2405.15738")
            #expect(items.first?["title"] as? String == paper["title"] as? String)
            #expect(items.count <= 3)

            for query in ["q=x&limit=0", "limit=-1", "q=x&limit=many", "q=\(String(repeating: "a", count: 251))", "q=x&mode=magic"] {
                let bad = try await client.get("/api/papers/search?\(query)")
                #expect(bad.status == .badRequest, "\(query)")
                #expect((try json(bad.body) as? [String: Any])?["error"] is String)
            }
            #expect(try await client.get("/api/papers/search?q=\(String(repeating: "a", count: 250))").status == .ok)
        }
    }

    /// huggingface_hub's `list_papers()` sends no `q` without a query, and any `limit`.
    @Test func noQueryListsTheNewestPapersAndABigLimitIsTheMost() async throws {
        try await TestApp.withApp { client in
            for query in ["", "?q=", "?q=%20%20", "?limit=5"] {
                let response = try await client.get("/api/papers/search\(query)")
                #expect(response.status == .ok, "\(query)")
                let items = try #require(try json(response.body) as? [[String: Any]], "\(query)")
                let ids = items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
                // The newest day (2024-05-28) first, most upvoted first: 2405.17247 has 33.
                #expect(ids.first == "2405.17247", "\(query)")
                #expect(ids.count == (query == "?limit=5" ? 5 : 28), "\(query): all 28 featured papers, or the limit")
                #expect(items.first?["title"] as? String == "An Introduction to Vision-Language Modeling")
            }
        }
        let day = FeedDay("2024-05-20")!
        let many = (0..<130).map { number in
            DailyEntry(
                day: day,
                paper: Paper(id: String(format: "2405.9%04d", number), title: "Zebrafish study \(number)", upvotes: 1, source: .huggingFace),
                upvotes: 1
            )
        }
        try await TestApp.withApp(extraEntries: many) { client in
            for query in ["q=zebrafish&limit=500", "limit=500", "q=zebrafish&limit=100000"] {
                let response = try await client.get("/api/papers/search?\(query)")
                #expect(response.status == .ok, "\(query)")
                #expect((try json(response.body) as? [[String: Any]])?.count == 120, "\(query): the most a search gives")
            }
        }
    }

    @Test func suggestCompletesTitles() async throws {
        try await TestApp.withApp { client in
            let items = try #require(try json(try await client.get("/api/papers/suggest?q=An+Intro").body) as? [[String: String]])
            #expect(items.contains { $0["id"] == "2405.17247" && $0["title"] == "An Introduction to Vision-Language Modeling" })
            #expect(try await client.get("/api/papers/suggest").status == .badRequest)
        }
    }

    @Test func relatedPapersExcludeThePaperItself() async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/papers/2405.17247/related?limit=5")
            #expect(response.status == .ok)
            let items = try #require(try json(response.body) as? [[String: Any]])
            let ids = items.compactMap { $0["id"] as? String }
            #expect(ids.count == 5)
            #expect(!ids.contains("2405.17247"))
            #expect(try await client.get("/api/papers/2405.99999/related").status == .notFound)
            #expect(try await client.get("/api/papers/2405.17247/related?limit=0").status == .badRequest)
        }
    }

    @Test func semanticSearchAndRelatedUseEmbeddings() async throws {
        try await TestApp.withApp(semantic: true) { client in
            let health = try #require(try json(try await client.get("/healthz").body) as? [String: Any])
            #expect((health["search"] as? [String: Any])?["embeddedPapers"] as? Int == 28)
            // Every demo paper has an abstract: at least one sentence vector each.
            #expect(((health["search"] as? [String: Any])?["sentenceVectors"] as? Int ?? 0) > 28)
            #expect((health["embeddingBackfill"] as? [String: Any])?["embedded"] as? Int == 28)

            // No shared words with the title, only meaning: dense search still finds it first.
            let dense = try #require(
                try json(try await client.get("/api/papers/search?q=how+computers+connect+pictures+with+words&mode=dense&limit=3").body)
                    as? [[String: Any]]
            )
            let ids = dense.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
            #expect(ids.contains("2405.17247"), "\(ids)")

            // The same query again is answered from the query vector cache.
            _ = try await client.get("/api/papers/search?q=how+computers+connect+pictures+with+words&mode=dense&limit=3")
            let after = try #require(try json(try await client.get("/healthz").body) as? [String: Any])
            let cache = try #require((after["search"] as? [String: Any])?["queryCache"] as? [String: Int])
            #expect(cache["hits"] == 1)
            #expect(cache["misses"] == 1)

            let page = try await client.get("/papers/2405.17247")
            #expect(page.body.contains("<h2>Related papers</h2>"))
        }
    }
}

@Suite struct QueryStringTests {
    @Test func plusIsASpaceAndEscapesAreDecoded() async throws {
        try await TestApp.withApp { client in
            // A literal plus, escaped, survives; a bare plus is a space; a stray % is kept.
            let page = try await client.get("/search?q=c%2B%2B+templates+100%")
            #expect(page.status == .ok)
            #expect(page.body.contains("value=\"c++ templates 100%\""))
        }
    }
}

@Suite struct SearchIndexRefresherTests {
    @Test(.timeLimit(.minutes(1))) func anImportShowsInSearchOnceTheRefreshIntervalHasPassedOnTheClock() async throws {
        try await TestApp.withApp { _, store in
            let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let engine = SearchEngine(store: store, embedder: nil, logger: logger)
            try await engine.load()
            let before = engine.paperCount
            let clock = TestClock()
            let refresher = Task { try await SearchIndexRefresher(engine: engine, store: store, clock: clock, logger: logger).run() }
            await clock.sleepers(atLeast: 1)

            let day = FeedDay("2024-05-28")!
            let paper = Paper(
                id: "2405.99996",
                title: "Refreshed",
                summary: "Imported while serving.",
                authors: ["A"],
                upvotes: 1,
                source: .huggingFace
            )
            _ = try await store.importFeedDay(day, entries: [DailyEntry(day: day, paper: paper, upvotes: 1)])
            #expect(engine.paperCount == before, "not indexed before the interval is up")
            clock.advance(by: .seconds(2))
            await clock.sleepers(atLeast: 1)  // it refreshed and waits for the next interval
            #expect(engine.paperCount == before + 1)
            #expect(clock.sleptDurations == [.seconds(2), .seconds(2)])

            refresher.cancel()
            try await refresher.value
        }
    }
}
