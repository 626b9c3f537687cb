import Foundation
import HummingbirdTesting
import PaperboyCore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct AtomFeedTests {
    /// Parses the XML for real; returns the entry titles, or nil when it is not well-formed.
    static func entryTitles(_ xml: String) -> [String]? {
        final class Collector: NSObject, XMLParserDelegate {
            var titles: [String] = []
            var inEntry = false, inTitle = false, text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "entry" { inEntry = true }
                if name == "title" && inEntry { inTitle = true; text = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { text += string } }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "title" && inTitle { titles.append(text); inTitle = false }
                if name == "entry" { inEntry = false }
            }
        }
        let collector = Collector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        return parser.parse() && xml.hasSuffix("</feed>\n") ? collector.titles : nil
    }

    @Test func dailyTrendingAndSearchFeedsAreWellFormedAtom() async throws {
        let hostile = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(id: "2405.99999", title: "<script>alert(1)</script> & \u{1}control", summary: "a < b && c > d",
                authors: ["O'Brien \"Quote\""], upvotes: 1, source: .huggingFace),
            upvotes: 1)
        try await TestApp.withApp(extraEntries: [hostile]) { client in
            let daily = try await client.get("/feeds/daily.atom")
            #expect(daily.status == .ok)
            #expect(daily.headers[.contentType] == "application/atom+xml; charset=utf-8")
            let titles = try #require(Self.entryTitles(daily.body))
            #expect(titles.count == 16)
            #expect(titles.contains("An Introduction to Vision-Language Modeling"))
            #expect(titles.contains("<script>alert(1)</script> & control"), "escaped in the XML, intact after parsing")
            #expect(!daily.body.contains("<script>"))

            let trending = try #require(Self.entryTitles(try await client.get("/feeds/trending.atom").body))
            #expect(!trending.isEmpty)
            let search = try #require(Self.entryTitles(try await client.get("/feeds/search.atom?q=vision+language").body))
            #expect(search.contains("An Introduction to Vision-Language Modeling"))
            #expect(try await client.get("/feeds/search.atom").status == .badRequest)
        }
    }
}
