import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import Testing

@Suite struct APITests {
    @Test func dailyPapersHasHuggingFaceShape() async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/daily_papers?date=2024-05-27")
            #expect(response.status == .ok)
            let items = try #require(try json(response.body) as? [[String: Any]])
            #expect(items.count == 13)
            let item = try #require(items.first { ($0["paper"] as? [String: Any])?["id"] as? String == "2405.15738" })
            let paper = try #require(item["paper"] as? [String: Any])
            #expect(
                paper["title"] as? String == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal\n  Models",
                "the captured item is served as Hugging Face sent it, line break and all"
            )
            #expect(paper["upvotes"] as? Int == 32)
            #expect(paper["publishedAt"] as? String == "2024-05-24T17:34:15.000Z")
            let authors = try #require(paper["authors"] as? [[String: Any]])
            #expect(authors.first?["name"] as? String == "Chunjiang Ge")
            #expect(paper["ai_keywords"] == nil, "captures from May 2024 had no keywords, and none are made up")
            #expect(item["title"] as? String == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models")
            #expect(item["summary"] == nil, "nor a summary beside the paper's")
            #expect(item["mediaUrl"] is String, "a field Paperboy does not know passes through")
            #expect(item["publishedAt"] is String)
            #expect(item["numComments"] is Int)
            #expect(item["submittedBy"] == nil, "captures from May 2024 did not record the submitter")
        }
    }

    @Test func paginatesFiltersAndSorts() async throws {
        let submitted = DailyEntry(
            day: FeedDay("2024-05-27")!,
            paper: Paper(id: "2405.00001", title: "Submitted by alice", upvotes: 1, source: .huggingFace),
            submitter: Submitter(name: "alice", fullname: "Alice A."),
            upvotes: 1
        )
        try await TestApp.withApp(extraEntries: [submitted]) { client in
            let first = try #require(try json(try await client.get("/api/daily_papers?limit=10").body) as? [[String: Any]])
            let second = try #require(try json(try await client.get("/api/daily_papers?limit=10&p=1").body) as? [[String: Any]])
            let third = try #require(try json(try await client.get("/api/daily_papers?limit=10&p=2").body) as? [[String: Any]])
            let ids = (first + second + third).compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
            #expect(ids.count == 29)
            #expect(Set(ids).count == 29, "no overlaps between pages")
            #expect((first.first?["publishedAt"] as? String)?.hasPrefix("2024-05-28") == true, "newest day first")

            let week = try #require(try json(try await client.get("/api/daily_papers?week=2024-W22&limit=100").body) as? [Any])
            #expect(week.count == 29)
            let month = try #require(try json(try await client.get("/api/daily_papers?month=2024-06").body) as? [Any])
            #expect(month.isEmpty)

            let trending = try #require(try json(try await client.get("/api/daily_papers?sort=trending&limit=1").body) as? [[String: Any]])
            #expect((trending.first?["paper"] as? [String: Any])?["id"] as? String == "2405.17247")

            let submitter = try #require(try json(try await client.get("/api/daily_papers?submitter=alice").body) as? [[String: Any]])
            #expect(submitter.count == 1)
            let by = try #require(submitter.first?["submittedBy"] as? [String: Any])
            #expect(by["name"] as? String == "alice")
            #expect(by["fullname"] as? String == "Alice A.")
        }
    }

    @Test(arguments: [
        "limit=0", "limit=101", "limit=ten", "p=-1", "date=2024-02-30", "week=2024-22", "month=2024-13",
        "sort=random", "date=2024-05-27&week=2024-W22", "submitter=",
    ])
    func invalidParametersGet400WithAJSONMessage(_ query: String) async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/daily_papers?\(query)")
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = try #require(try json(response.body) as? [String: Any])
            #expect((body["error"] as? String)?.isEmpty == false)
        }
    }

    @Test func paperByIdAnd404() async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/papers/2405.15738")
            #expect(response.status == .ok)
            let paper = try #require(try json(response.body) as? [String: Any])
            #expect(paper["id"] as? String == "2405.15738")
            #expect(paper["upvotes"] as? Int == 32)
            #expect(paper["submittedOnDailyAt"] as? String != nil)

            let missing = try await client.get("/api/papers/2405.99999")
            #expect(missing.status == .notFound)
            #expect((try json(missing.body) as? [String: Any])?["error"] != nil)
        }
    }

    @Test func listsAllPapersWithLinkHeaderPagination() async throws {
        try await TestApp.withApp { client in
            var uri = "/api/papers?limit=10"
            var ids: [String] = []
            for _ in 0..<5 {
                let response = try await client.get(uri)
                #expect(response.status == .ok)
                let page = try #require(try json(response.body) as? [[String: Any]])
                ids += page.compactMap { $0["id"] as? String }
                guard let link = response.headers[HTTPField.Name("Link")!] else { break }
                let url = try #require(link.split(separator: "<").last?.split(separator: ">").first)
                uri = String(url.drop(while: { $0 != "/" }).dropFirst(2).drop(while: { $0 != "/" }))
            }
            #expect(ids.count == 28)
            #expect(ids == ids.sorted())
            #expect(try await client.get("/api/papers?limit=500").status == .badRequest)
        }
    }
}
