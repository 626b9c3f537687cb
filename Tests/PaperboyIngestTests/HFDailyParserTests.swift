import Foundation
import PaperboyCore
import PaperboyIngest
import Testing

@Suite struct HFDailyParserTests {
    let parser = HFDailyParser()

    @Test func readsARealDayWithLineBreaksInTitles() throws {
        let parsed = try parser.parse(Fixtures.data("2024-05-27.json"), fileName: "2024-05-27.json")
        #expect(parsed.day.description == "2024-05-27")
        #expect(parsed.entries.count == 13)
        #expect(parsed.rejections.isEmpty)
        let first = try #require(parsed.entries.first)
        #expect(first.paper.id == "2405.15738")
        #expect(first.paper.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models")
        #expect(first.paper.upvotes == 32)
        #expect(first.paper.authors.count == 9)
        #expect(first.paper.authors.first == "Chunjiang Ge")
        #expect(first.paper.publishedAt == "2024-05-24T17:34:15.000Z")
        #expect(first.submittedAt != nil, "falls back to the item's publishedAt when submittedOnDailyAt is missing")
        #expect(!first.paper.summary.contains("\n"), "arXiv hard wraps are joined")
    }

    @Test func reportsEveryPythonReprItemWithItsIndex() throws {
        let parsed = try parser.parse(Fixtures.data("2024-12-11.json"), fileName: "2024-12-11.json")
        #expect(parsed.entries.isEmpty)
        #expect(parsed.rejections.count == 26)
        #expect(parsed.rejections.map(\.index) == Array(0..<26))
        #expect(parsed.rejections.allSatisfy { $0.file == "2024-12-11.json" && $0.reason.contains("Python repr") })
    }

    @Test func acceptsTheWrappedDataShapeAndItsDate() throws {
        let parsed = try parser.parse(Fixtures.data("2025-01-10.json"), fileName: "renamed.json")
        #expect(parsed.day.description == "2025-01-10", "the date comes from the wrapper when the name has none")
        #expect(parsed.rejections.count == 9)
    }

    @Test func readsNewerFieldsAndToleratesOddValues() throws {
        let json = """
            [{"paper": {"id": "2608.19880", "title": "T", "summary": "S", "authors": [{"name": "A"}, {"_id": "x"}, 7],
              "upvotes": 163, "githubRepo": "https://github.com/g/e", "githubStars": 8, "ai_keywords": ["LLM agents", 3],
              "organization": {"name": "google", "fullname": "Google"}, "submittedOnDailyAt": "2026-08-21T00:00:00.000Z",
              "brandNewField": {"nested": true}},
              "numComments": 1, "submittedBy": {"name": "taesiri", "fullname": "taesiri"}},
             {"paper": {"id": "2608.00001", "title": "   "}},
             {"paper": {"id": "not an id", "title": "x"}},
             {"title": "no paper"},
             null, 42, [1]]
            """
        let parsed = try parser.parse(Data(json.utf8), fileName: "2026-08-21.json")
        let entry = try #require(parsed.entries.first)
        #expect(parsed.entries.count == 1)
        #expect(entry.paper.authors == ["A"])
        #expect(entry.paper.aiKeywords == ["LLM agents"])
        #expect(entry.paper.organization == Organization(name: "google", fullname: "Google"))
        #expect(entry.submitter?.name == "taesiri")
        #expect(entry.numComments == 1)
        #expect(parsed.rejections.map(\.index) == [1, 2, 3, 4, 5, 6])
        #expect(parsed.rejections[0].reason.contains("no title"))
        #expect(parsed.rejections[1].reason.contains("not an arXiv id"))
        #expect(parsed.rejections[2].reason.contains("missing \"paper\""))
        #expect(parsed.rejections[3].reason.contains("null"))
    }

    @Test func aFileThatIsNotJSONIsAFileError() {
        #expect(throws: HFDailyParser.FileError.self) {
            try parser.parse(Data("{not json".utf8), fileName: "2024-05-27.json")
        }
        #expect(throws: HFDailyParser.FileError.noDate(file: "latest.json")) {
            try parser.parse(Data("[]".utf8), fileName: "latest.json")
        }
    }
}

/// Each item is kept whole, as the source wrote it, with its place in the day.
@Suite struct HFDailyParserRawItemTests {
    let parser = HFDailyParser()

    @Test func keepsEachItemsOwnBytesAndItsIndexInTheDay() throws {
        let json = """
            [ {"paper": {"id": "2608.00002", "title": "Second", "upvotes": 7, "githubStars": 1.0,
                         "authors": [{"_id": "a1", "name": "A", "hidden": true}], "unknown": {"x": [1, "a b"]}},
               "mediaUrls": ["https://cdn/x.mp4"], "isAuthorParticipating": true},
              "not an item",
              {"paper": {"id": "2608.00001", "title": "First", "upvotes": 7, "escaped": "a\\"b\\\\ c\\u00e9"}} ]
            """
        let parsed = try parser.parse(Data(json.utf8), fileName: "2026-08-21.json")
        #expect(parsed.entries.map(\.position) == [0, 2], "the index in the day's array, rejected items counted")
        let first = try #require(parsed.entries.first?.rawItem)
        #expect(
            String(decoding: first, as: UTF8.self)
                == #"{"paper":{"id":"2608.00002","title":"Second","upvotes":7,"githubStars":1.0,"authors":[{"_id":"a1","name":"A","hidden":true}],"unknown":{"x":[1,"a b"]}},"mediaUrls":["https://cdn/x.mp4"],"isAuthorParticipating":true}"#,
            "the source's bytes, key order and number spelling; only whitespace between tokens goes"
        )
        let last = try #require(parsed.entries.last?.rawItem)
        #expect(String(decoding: last, as: UTF8.self) == #"{"paper":{"id":"2608.00001","title":"First","upvotes":7,"escaped":"a\"b\\ c\u00e9"}}"#)
    }

    @Test func aRealDaysItemsParseBackToTheFilesItems() throws {
        let data = try Fixtures.data("2024-05-28.json")
        let parsed = try parser.parse(data, fileName: "2024-05-28.json")
        let items = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        #expect(parsed.entries.count == items.count)
        for entry in parsed.entries {
            let position = try #require(entry.position)
            let raw = try #require(entry.rawItem)
            let item = try JSONSerialization.jsonObject(with: raw)
            #expect(try canonical(item) == canonical(items[position]))
            #expect(((item as? [String: Any])?["paper"] as? [String: Any])?["id"] as? String == entry.paper.id)
        }
    }

    /// One spelling of a parsed value (sorted keys), so that two values compare as JSON.
    func canonical(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    }

    @Test func theWrappedShapeKeepsItsItemsToo() throws {
        let json = #"{"date": "2025-01-10", "data": [{"paper": {"id": "2501.00001", "title": "T", "x": null}}]}"#
        let parsed = try parser.parse(Data(json.utf8), fileName: "renamed.json")
        #expect(parsed.entries.first?.position == 0)
        #expect(parsed.entries.first?.rawItem.map { String(decoding: $0, as: UTF8.self) } == #"{"paper":{"id":"2501.00001","title":"T","x":null}}"#)
    }

    @Test func aBodyFetchedForADayIsReadForThatDay() throws {
        let json = #"[{"paper": {"id": "2608.00001", "title": "T", "upvotes": 3}}, 5]"#
        let parsed = try parser.parse(Data(json.utf8), day: FeedDay("2026-08-21")!, source: "https://hf.co/api/daily_papers?date=2026-08-21")
        #expect(parsed.day.description == "2026-08-21")
        #expect(parsed.entries.map(\.paper.id) == ["2608.00001"])
        #expect(parsed.entries.first?.rawItem != nil)
        #expect(parsed.rejections.first?.file == "https://hf.co/api/daily_papers?date=2026-08-21")
    }

    @Test func aBodyTheByteScanCannotFollowIsKeptReserialised() throws {
        // UTF-16 is valid JSON to JSONSerialization but not to the byte scanner.
        let json = #"[{"paper": {"id": "2608.00001", "title": "T", "upvotes": 3}}]"#
        let data = try #require(json.data(using: .utf16))
        let parsed = try parser.parse(data, fileName: "2026-08-21.json")
        let raw = try #require(parsed.entries.first?.rawItem)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any]).first
        #expect(try canonical(JSONSerialization.jsonObject(with: raw)) == canonical(try #require(expected)))
    }
}
