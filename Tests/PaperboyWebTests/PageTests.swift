import Foundation
import HummingbirdTesting
import PaperboyCore
import PaperboyIngest
import Testing

@Suite struct PageTests {
    @Test func homeShowsTheLatestDayMostUpvotedFirst() async throws {
        try await TestApp.withApp { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.body.contains("Daily Papers · May 28, 2024"))
            // 2405.17247 has the most upvotes (33) on 2024-05-28 with 41 authors.
            let firstCard = try #require(page.body.range(of: "<article class=\"card\">"))
            let card = String(page.body[firstCard.lowerBound...].prefix(1500))
            #expect(card.contains("An Introduction to Vision-Language Modeling"))
            #expect(card.contains("Florian Bordes"))
            #expect(card.contains("41 authors"))
            #expect(card.contains("<span class=\"count\">33</span>"))
            #expect(page.body.contains("href=\"/papers/date/2024-05-27\""), "previous-day link")
            #expect(!page.body.contains("rel=\"next\""), "nothing after the latest day")
        }
    }

    @Test func countsReadInTheRightNumber() async throws {
        #expect(DisplayText.counted(1, "comment") == "1 comment")
        #expect(DisplayText.counted(0, "upvote") == "0 upvotes")
        #expect(DisplayText.counted(2, "entry", plural: "entries") == "2 entries")
        try await TestApp.withApp { client in
            let day = try await client.get("/papers/date/2024-05-27").body
            #expect(!day.contains("1 comments"))
            func card(_ id: String) throws -> String {
                let start = try #require(day.range(of: "href=\"/papers/\(id)\""))
                return String(day[start.lowerBound...].prefix(1200))
            }
            #expect(try card("2405.15574").contains("<span>1 comment</span>"), "one comment on this card")
            #expect(try card("2405.14979").contains("<span>2 comments</span>"))
            let paper = try await client.get("/papers/2405.14906").body
            #expect(paper.contains("7 upvotes"))
        }
    }

    @Test func dayWeekAndMonthPagesHaveNeighbourLinks() async throws {
        try await TestApp.withApp { client in
            let day = try await client.get("/papers/date/2024-05-27")
            #expect(day.status == .ok)
            #expect(day.body.contains("ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"))
            #expect(day.body.contains("rel=\"next\" href=\"/papers/date/2024-05-28\""))

            let week = try await client.get("/papers/week/2024-W22")
            #expect(week.status == .ok)
            #expect(week.body.components(separatedBy: "<article class=\"card\">").count - 1 == 28)

            #expect(week.body.contains("<h1>Papers of the week of May 27 – Jun 2, 2024 · 2024-W22</h1>"))
            #expect(DisplayText.dateRange(FeedDay("2024-12-30")!...FeedDay("2025-01-05")!) == "Dec 30, 2024 – Jan 5, 2025")
            #expect(DisplayText.dateRange(FeedDay("2024-07-01")!...FeedDay("2024-07-07")!) == "Jul 1 – 7, 2024")

            let month = try await client.get("/papers/month/2024-05")
            #expect(month.status == .ok)
            #expect(month.body.contains("Papers of May 2024"))
        }
    }

    @Test func badAndEmptyPeriodsGet400And404Pages() async throws {
        try await TestApp.withApp { client in
            let malformed = try await client.get("/papers/date/2024-13-45")
            #expect(malformed.status == .badRequest)
            #expect(malformed.body.contains("is not a date"))
            #expect(try await client.get("/papers/week/2024-W99").status == .badRequest)
            #expect(try await client.get("/papers/month/May").status == .badRequest)

            // A past day without papers (a Sunday) is a page with links to the nearest days.
            let empty = try await client.get("/papers/date/2024-05-26")
            #expect(empty.status == .ok)
            #expect(empty.body.contains("No papers featured on May 26, 2024."))
            #expect(empty.body.contains("href=\"/papers/date/2024-05-27\""), "an empty day links to the next day with papers")
            #expect(!empty.body.contains("<article class=\"card\">"))
            let emptyWeek = try await client.get("/papers/week/2024-W10")
            #expect(emptyWeek.status == .ok)
            #expect(emptyWeek.body.contains("No papers featured in 2024-W10."))
            // The future is not there yet.
            let future = try await client.get("/papers/date/2024-06-10")
            #expect(future.status == .notFound)
            #expect(future.body.contains("No papers were featured in Jun 10, 2024"))
            #expect(future.body.contains("href=\"/papers/date/2024-05-28\""), "the latest day before it")

            let nowhere = try await client.get("/no/such/page")
            #expect(nowhere.status == .notFound)
            #expect(nowhere.body.contains("<!doctype html>"))
        }
    }

    @Test func huggingFaceAddressesLeadToTheSamePages() async throws {
        try await TestApp.withApp { client in
            let cases = [
                ("/papers", "/"),
                ("/papers?date=2024-05-27", "/papers/date/2024-05-27"),
                ("/papers?week=2024-W22", "/papers/week/2024-W22"),
                ("/papers?month=2024-05", "/papers/month/2024-05"),
                ("/papers?q=vision%20language", "/search?q=vision%20language"),
                ("/papers?q=c%2B%2B%20%26%20more", "/search?q=c%2B%2B%20%26%20more"),
            ]
            for (address, location) in cases {
                let response = try await client.get(address)
                #expect(response.status == .movedPermanently, "\(address)")
                #expect(response.headers[.location] == location, "\(address)")
                #expect(try await client.get(location).status == .ok, "\(location)")
            }
            let bad = try await client.get("/papers?date=yesterday")
            #expect(bad.status == .badRequest)
            #expect(bad.body.contains("is not a date"))
        }
    }

    @Test func thumbnailsSubmittersAndCommentsShowOnCardsAndPaperPages() async throws {
        let day = FeedDay("2024-05-28")!
        let thumbnail = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.99001.png"
        let entries = [
            DailyEntry(
                day: day,
                paper: Paper(id: "2405.99001", title: "Pictured <paper>", upvotes: 1, source: .huggingFace),
                submitter: Submitter(name: "taesiri", fullname: "Mohammad Reza Taesiri"),
                upvotes: 1,
                numComments: 1,
                thumbnail: thumbnail
            ),
            DailyEntry(
                day: day,
                paper: Paper(
                    id: "2405.99002",
                    title: "Elsewhere",
                    githubRepo: "https://github.com/a/b",
                    githubStars: 0,
                    upvotes: 1,
                    source: .huggingFace
                ),
                upvotes: 1,
                thumbnail: "https://tracker.example/pixel.png"
            ),
        ]
        try await TestApp.withApp(extraEntries: entries) { client in
            let home = try await client.get("/")
            let card = try #require(home.body.range(of: "href=\"/papers/2405.99001\"")).lowerBound
            let cardHTML = String(home.body[card...].prefix(2500))
            #expect(
                cardHTML.contains(
                    "<img src=\"\(thumbnail)\" alt=\"Thumbnail of “Pictured &lt;paper&gt;”\" width=\"200\" height=\"108\" loading=\"lazy\""
                )
            )
            #expect(!home.body.contains("tracker.example"), "an image from a host the policy does not allow is left out")
            #expect(!home.body.contains("★ 0"), "no stars is not a count to show")
            #expect(!(try await client.get("/papers/2405.99002").body.contains("★ 0")))
            #expect(
                home.headers[.contentSecurityPolicy]?.contains(
                    "img-src 'self' data: https://cdn-thumbnails.huggingface.co https://cdn-uploads.huggingface.co; media-src https://cdn-uploads.huggingface.co;"
                ) == true
            )

            let page = try await client.get("/papers/2405.99001").body
            #expect(page.contains("<img class=\"paper-thumb\" src=\"\(thumbnail)\""))
            #expect(page.contains("loading=\"lazy\""))
            #expect(page.contains("Submitted by <a class=\"submitter\" href=\"/u/taesiri\"><strong>Mohammad Reza Taesiri</strong></a>"))
            #expect(page.contains("<span>1 comment</span>"))
            #expect(page.contains("<span class=\"count\" data-noun=\"upvote\">1 upvote</span>"))
        }
    }

    @Test func authorsHavePagesAndFeedsWhateverTheirAccentsAndCase() async throws {
        let day = FeedDay("2024-05-28")!
        func entry(_ id: String, _ authors: [String], published: String) -> DailyEntry {
            DailyEntry(
                day: day,
                paper: Paper(id: id, title: "Work \(id)", authors: authors, publishedAt: published, upvotes: 1, source: .huggingFace),
                upvotes: 1
            )
        }
        let entries = [
            entry("2405.99301", ["Zoë Ålander", "Grace Hopper"], published: "2024-05-20T00:00:00.000Z"),
            entry("2405.99302", ["Ada Lovelace", "zoe  alander"], published: "2024-05-22T00:00:00.000Z"),
            entry("2405.99303", ["ZOË ÅLANDER"], published: "2024-05-21T00:00:00.000Z"),
            entry("2405.99304", ["Zoe Alanders"], published: "2024-05-23T00:00:00.000Z"),
        ]
        try await TestApp.withApp(extraEntries: entries) { client in
            for path in ["/authors/Zo%C3%AB%20%C3%85lander", "/authors/zoe%20alander"] {
                let page = try await client.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(
                    page.body.contains("<h1>zoe  alander</h1>") || page.body.contains("<h1>zoe alander</h1>"),
                    "named as the newest paper writes it"
                )
                #expect(page.body.contains("3 papers"))
                let order = ["2405.99302", "2405.99303", "2405.99301"].map { page.body.range(of: "href=\"/papers/\($0)\"")?.lowerBound }
                #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "newest first")
                #expect(!page.body.contains("2405.99304"), "another name")
            }
            let card = try await client.get("/").body
            #expect(card.contains("<a class=\"author\" href=\"/authors/Zo%C3%AB%20%C3%85lander\">Zoë Ålander</a>"))
            let paper = try await client.get("/papers/2405.99301").body
            #expect(paper.contains("<a class=\"author\" href=\"/authors/Grace%20Hopper\">Grace Hopper</a>"))

            let feed = try await client.get("/feeds/author.atom?name=Zo%C3%AB%20%C3%85lander")
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
            #expect(feed.body.components(separatedBy: "<entry>").count - 1 == 3)
            #expect(feed.body.contains("Papers by zoe"))
            #expect(try await client.get("/authors/Nobody%20Anywhere").status == .notFound)
            #expect(try await client.get("/feeds/author.atom").status == .badRequest)
        }
    }

    @Test func figuresAndVideosHuggingFaceSentShowOnThePaperPage() async throws {
        let uploads = "https://cdn-uploads.huggingface.co/production/uploads/1/"
        let item = """
            {"paper":{"id":"2405.99501"},"mediaUrls":["\(uploads)a.png","\(uploads)b.mp4","https://tracker.example/c.png"]}
            """
        let entry = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(id: "2405.99501", title: "Shown <work>", upvotes: 1, source: .huggingFace),
            upvotes: 1,
            rawItem: Data(item.utf8)
        )
        try await TestApp.withApp(extraEntries: [entry]) { client in
            let page = try await client.get("/papers/2405.99501").body
            #expect(
                page.contains("<img src=\"\(uploads)a.png\" alt=\"Figure 1 of “Shown &lt;work&gt;”\" width=\"480\" height=\"270\" loading=\"lazy\"")
            )
            #expect(page.contains("<video src=\"\(uploads)b.mp4\" controls preload=\"none\""))
            #expect(!page.contains("tracker.example"), "only hosts the policy allows")
            #expect(!(try await client.get("/papers/2405.15738").body.contains("class=\"media\"")), "no media, no box")
        }
    }

    @Test func organisationsShowOnCardsAndHaveAPage() async throws {
        let day = FeedDay("2024-05-28")!
        let google = Organization(name: "google", fullname: "Google")
        let entries = ["2405.99401", "2405.99402"].map { id in
            DailyEntry(day: day, paper: Paper(id: id, title: "Work \(id)", organization: google, upvotes: 1, source: .huggingFace), upvotes: 1)
        }
        try await TestApp.withApp(extraEntries: entries) { client in
            let home = try await client.get("/").body
            #expect(home.contains("<a class=\"org\" href=\"/orgs/google\">Google</a>"))
            let paper = try await client.get("/papers/2405.99401").body
            #expect(paper.contains("<a class=\"org\" href=\"/orgs/google\">Google</a>"))
            let page = try await client.get("/orgs/google")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>Google</h1>"))
            #expect(page.body.contains("2 papers from google"))
            #expect(page.body.contains("href=\"/papers/2405.99401\"") && page.body.contains("href=\"/papers/2405.99402\""))
            #expect(try await client.get("/orgs/nobody").status == .notFound)
        }
    }

    @Test func paperPageShowsEverythingWeKnow() async throws {
        try await TestApp.withApp { client in
            let page = try await client.get("/papers/2405.15738")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models</h1>"))
            #expect(page.body.contains("High-resolution Large Multimodal Models (LMMs) encounter the challenges of excessive visual tokens"))
            #expect(page.body.contains("<a class=\"author\" href=\"/authors/Chunjiang%20Ge\">Chunjiang Ge</a>"))
            #expect(page.body.contains("href=\"https://arxiv.org/abs/2405.15738\""))
            #expect(page.body.contains("href=\"https://arxiv.org/pdf/2405.15738\""))
            #expect(page.body.contains("href=\"/papers/date/2024-05-27\""), "featured day")

            #expect(try await client.get("/papers/2405.99999").status == .notFound)
            #expect(try await client.get("/papers/not-an-id").status == .notFound)
            #expect(try await client.get("/papers/hep-th/9901001").status == .notFound)
        }
    }

    @Test func paperAsMarkdown() async throws {
        try await TestApp.withApp { client in
            let page = try await client.get("/papers/2405.15738.md")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(page.body.hasPrefix("# ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models\n"))
            #expect(page.body.contains("## Abstract"))
            #expect(page.body.contains("- 2024-05-27"))
        }
    }

    @Test func trendingRanksByDecayedUpvotesWithTheFixedClock() async throws {
        // A fresh paper on 2024-05-28 with 20 votes beats 2024-05-27's 32-vote paper at noon
        // on the 28th: 20/(12+2)^1.5 = 0.38 > 32/(36+2)^1.5 = 0.137.
        try await TestApp.withApp { client in
            let page = try await client.get("/papers/trending")
            #expect(page.status == .ok)
            let positionOfTop28 = try #require(page.body.range(of: "An Introduction to Vision-Language Modeling")).lowerBound
            let positionOfTop27 = try #require(page.body.range(of: "ConvLLaVA")).lowerBound
            #expect(positionOfTop28 < positionOfTop27)
            #expect(!page.body.contains("score ="), "the formula is on the help page, not shown to readers")
            #expect(page.body.contains("href=\"/help/trending\""))
        }
    }

    @Test func trendingOffersTheDayTheWeekAndTheMonth() async throws {
        try await TestApp.withApp { client in
            let day = try await client.get("/papers/trending?period=day")
            #expect(day.status == .ok)
            #expect(day.body.contains("<h1>Trending papers of the day</h1>"))
            #expect(day.body.contains("<a href=\"/papers/trending?period=day\" aria-current=\"page\">Day</a>"))
            #expect(day.body.contains("An Introduction to Vision-Language Modeling"), "the latest day's papers")
            #expect(!day.body.contains("ConvLLaVA"), "not the day before")
            let week = try await client.get("/papers/trending?period=week").body
            #expect(week.contains("ConvLLaVA") && week.contains("An Introduction to Vision-Language Modeling"))
            #expect(week.contains("<a href=\"/papers/trending?period=week\" aria-current=\"page\">Week</a>"))
            #expect(try await client.get("/papers/trending?period=month").status == .ok)
            let now = try await client.get("/papers/trending").body
            #expect(now.contains("<a href=\"/papers/trending\" aria-current=\"page\">Now</a>"), "the default window is marked too")
            let bad = try await client.get("/papers/trending?period=year")
            #expect(bad.status == .badRequest)
            #expect(bad.body.contains("period must be day, week or month"))
            let help = try await client.get("/help/trending")
            #expect(help.status == .ok)
            #expect(help.body.contains("score = upvotes ÷ (hours since featured + 2)<sup>1.5</sup>"))
            #expect(help.body.contains("the last 7 feed days"))
        }
    }

    @Test func importedMarkupIsEscapedEverywhere() async throws {
        let hostile = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(
                id: "2405.99999",
                title: "<script>alert('t')</script> Title",
                summary: "<img src=x onerror=alert(1)>",
                authors: ["<b>Mallory</b>"],
                githubRepo: "javascript:alert(1)",
                aiKeywords: ["<i>kw</i>"],
                upvotes: 500,
                source: .huggingFace
            ),
            submitter: Submitter(name: "eve", fullname: "\"><svg onload=alert(1)>"),
            upvotes: 500
        )
        try await TestApp.withApp(extraEntries: [hostile]) { client in
            for path in ["/", "/papers/2405.99999", "/papers/trending", "/papers/week/2024-W22"] {
                let page = try await client.get(path)
                #expect(page.status == .ok)
                #expect(!page.body.contains("<script>alert"), "\(path)")
                #expect(!page.body.contains("<img src=x"), "\(path)")
                #expect(!page.body.contains("<b>Mallory"), "\(path)")
                #expect(!page.body.contains("<svg"), "\(path)")
                #expect(!page.body.contains("href=\"javascript:"), "\(path)")
            }
            let paper = try await client.get("/papers/2405.99999")
            #expect(paper.body.contains("&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Title") || paper.body.contains("&lt;script&gt;"))
        }
    }

    @Test func stylesheetHealthAndPing() async throws {
        try await TestApp.withApp { client in
            let css = try await client.get("/static/style.css")
            #expect(css.status == .ok)
            #expect(css.body.contains("@media (max-width: 480px)"))
            let health = try await client.get("/healthz")
            let body = try #require(try json(health.body) as? [String: Any])
            #expect(body["status"] as? String == "ok")
            #expect(body["papers"] as? Int == 28)
            #expect(body["feedDays"] as? Int == 2)
            #expect(try await client.get("/ping").body == "pong")
        }
    }
}

@Suite struct CompressionTests {
    @Test func gzipWhenTheClientAcceptsIt() async throws {
        try await TestApp.withApp { client in
            let plain = try await client.get("/api/daily_papers?date=2024-05-27")
            let (headers, body) = try await client.execute(
                uri: "/api/daily_papers?date=2024-05-27",
                method: .get,
                headers: [.acceptEncoding: "gzip, deflate"]
            ) { response in (response.headers, Array(response.body.readableBytesView)) }
            #expect(headers[.contentEncoding] == "gzip")
            #expect(headers[.vary] == "Accept-Encoding")
            #expect(body.prefix(2) == [0x1f, 0x8b])
            #expect(body.count < plain.body.utf8.count / 2)

            // Inflate with the importer's gzip reader and compare with the identity body.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString).gz")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(body).write(to: file)
            let reader = try LineReader(path: file.path)
            var lines: [String] = []
            while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
            #expect(lines.joined(separator: "\n") == plain.body)

            let refused = try await client.execute(uri: "/", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { $0.headers }
            #expect(refused[.contentEncoding] == nil)
        }
    }
}

@Suite struct LiteralInputTests {
    @Test func sqlLookingTextIsStoredAndShownLiterally() async throws {
        let title = "Robert'); DROP TABLE papers;-- OR 1=1"
        let entry = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(id: "2405.99997", title: title, summary: "SELECT * FROM users;", source: .huggingFace),
            upvotes: 1
        )
        try await TestApp.withApp(extraEntries: [entry]) { client in
            let page = try await client.get("/papers/2405.99997")
            #expect(page.body.contains("<h1>Robert&#39;); DROP TABLE papers;-- OR 1=1</h1>"))
            #expect(page.body.contains("SELECT * FROM users;"))
            let api = try #require(try json(try await client.get("/api/papers/2405.99997").body) as? [String: Any])
            #expect(api["title"] as? String == title)
            let health = try #require(try json(try await client.get("/healthz").body) as? [String: Any])
            #expect(health["papers"] as? Int == 29, "nothing was dropped")
        }
    }
}
