import Foundation
import HummingbirdTesting
import PaperboyCore
import Testing

/// The bundled demo data, imported and served back, is what Hugging Face sent: every field,
/// every value, each day in the same order. Local data is laid over only where it means the
/// same thing (`paper.upvotes`).
@Suite struct HFFidelityTests {
    /// The demo files as Hugging Face gave them, read without Paperboy: day → items.
    static func demoDays() throws -> [(day: String, items: [JSONTree])] {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestApp.demoDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { file in
            let data = try Data(contentsOf: TestApp.demoDirectory.appendingPathComponent(file))
            let root = JSONTree(try JSONSerialization.jsonObject(with: data))
            let items = root.array ?? root["data"]?.array ?? []
            return (String(file.prefix(10)), items.filter { $0.object != nil })
        }
    }

    static func served(_ client: any TestClientProtocol, day: String) async throws -> [JSONTree] {
        let response = try await client.get("/api/daily_papers?date=\(day)&limit=100")
        #expect(response.status == .ok)
        return try #require(JSONTree(try JSONSerialization.jsonObject(with: Data(response.body.utf8))).array)
    }

    // Two apps in all: each imports the 60 demo days, which is the slow part.

    @Test func everyDemoDayIsServedBackItemByItemAsHuggingFaceSentIt() async throws {
        let days = try Self.demoDays()
        try #require(days.count >= 50, "the demo data is there")
        try await TestApp.withApp(feedFiles: [TestApp.demoDirectory.path]) { client in
            var compared = 0
            for (day, items) in days {
                let served = try await Self.served(client, day: day)
                #expect(served.count == items.count, "\(day)")
                #expect(Self.ids(served) == Self.ids(items), "\(day): same papers, same order")
                for (got, expected) in zip(served, items) where got != expected {
                    Issue.record("\(day) \(Self.ids([expected])): \(Self.differences(got, expected))")
                }
                compared += items.count
            }
            #expect(compared > 1000)

            // A paper is its latest capture's `paper` object, fields Paperboy never reads included,
            // plus `numComments` (huggingface_hub's `paper_info().comments` reads it there).
            let latest = try #require(days.last?.items.first { $0["paper"]?["githubRepoAddedBy"] != nil })
            let response = try await client.get("/api/papers/\(Self.ids([latest])[0])")
            #expect(response.status == .ok)
            let paper = JSONTree(try JSONSerialization.jsonObject(with: Data(response.body.utf8)))
            #expect(Self.differences(paper, try #require(latest["paper"])) == ["numComments"])
            #expect(paper["numComments"]?.int == latest["numComments"]?.int)
        }
    }

    @Test func aLocalVoteChangesOnlyUpvotesAndAnEntryMadeHereKeepsTheCodableShape() async throws {
        let (day, items) = try #require(try Self.demoDays().first { $0.day == "2026-06-01" })
        let voted = try #require(items.dropFirst(5).first)
        let votedID = try #require(Self.ids([voted]).first)
        let submitted = DailyEntry(
            day: FeedDay(day)!,
            paper: Paper(id: "2405.00001", title: "Submitted by alice", source: .arxiv),
            submittedAt: "2026-06-01T08:00:00.000Z",
            submitter: Submitter(name: "alice", fullname: "Alice A."),
            upvotes: 0
        )
        try await TestApp.withApp(feedFiles: [TestApp.demoDirectory.path], extraEntries: [submitted]) { client, store in
            let reader = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "x")
            #expect(try await store.upvote(paperID: votedID, by: reader.id))
            let served = try await Self.served(client, day: day)
            let item = try #require(served.first { Self.ids([$0]) == [votedID] })
            let captured = try #require(voted["paper"]?["upvotes"]?.int)
            #expect(item["paper"]?["upvotes"]?.int == captured + 1)
            #expect(Self.differences(item, voted) == ["paper.upvotes"])
            let servedByID = Dictionary(served.map { (Self.ids([$0])[0], $0) }, uniquingKeysWith: { first, _ in first })
            for expected in items where Self.ids([expected]) != [votedID] {
                #expect(servedByID[Self.ids([expected])[0]] == expected)
            }

            let paper = try await client.get("/api/papers/\(votedID)")
            let object = JSONTree(try JSONSerialization.jsonObject(with: Data(paper.body.utf8)))
            #expect(object["upvotes"]?.int == captured + 1)
            let capturedPaper = try #require(voted["paper"])
            #expect(Self.differences(object, capturedPaper) == ["numComments", "upvotes"], "the captured paper object, with the vote")

            // The submission has no capture: today's Codable shape, after the captured papers.
            #expect(Self.ids(served).last == "2405.00001", "no upvotes: after the captured papers")
            let local = try #require(served.last)
            #expect(
                local.object.map { Set($0.keys) }
                    == ["paper", "publishedAt", "title", "summary", "numComments", "submittedBy", "isAuthorParticipating"]
            )
            #expect(local["publishedAt"]?.string == "2026-06-01T08:00:00.000Z")
            #expect(local["paper"]?["upvotes"]?.int == 0)
            #expect(local["paper"]?["submittedOnDailyBy"]?["user"]?.string == "alice")
            #expect(local["paper"]?["ai_keywords"] == .array([]))
        }
    }

    static func ids(_ items: [JSONTree]) -> [String] {
        items.map { $0["paper"]?["id"]?.string ?? "?" }
    }

    /// Dotted paths of the values that differ (or exist on one side only), for readable failures.
    static func differences(_ got: JSONTree, _ expected: JSONTree, prefix: String = "") -> [String] {
        guard let left = got.object, let right = expected.object else { return got == expected ? [] : [prefix] }
        return Set(left.keys).union(right.keys).sorted().flatMap { key -> [String] in
            guard let value = left[key], let other = right[key] else { return [prefix + key] }
            if value == other { return [] }
            if value.object != nil, other.object != nil { return differences(value, other, prefix: prefix + key + ".") }
            return [prefix + key]
        }
    }
}

/// A parsed JSON value that can be compared. Numbers, booleans and null are compared as
/// their runtime type and text, which is exact here because both sides come out of the same
/// JSONSerialization.
enum JSONTree: Equatable {
    case object([String: JSONTree])
    case array([JSONTree])
    case string(String)
    case other(String)

    init(_ value: Any) {
        if let object = value as? [String: Any] {
            self = .object(object.mapValues(JSONTree.init))
        } else if let array = value as? [Any] {
            self = .array(array.map(JSONTree.init))
        } else if let string = value as? String {
            self = .string(string)
        } else {
            self = .other("\(type(of: value)):\(value)")
        }
    }

    var object: [String: JSONTree]? { if case .object(let object) = self { object } else { nil } }
    var array: [JSONTree]? { if case .array(let array) = self { array } else { nil } }
    var string: String? { if case .string(let string) = self { string } else { nil } }
    var int: Int? { if case .other(let text) = self { text.split(separator: ":").last.flatMap { Int($0) } } else { nil } }

    subscript(key: String) -> JSONTree? { object?[key] }
}
