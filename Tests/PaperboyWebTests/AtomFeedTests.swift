import Foundation
import HummingbirdTesting
import PaperboyCore
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct AtomFeedTests {
    /// Parses the XML for real; returns the entry titles, or nil when it is not well-formed.
    static func entryTitles(_ xml: String) -> [String]? {
        guard xml.hasSuffix("</feed>\n"), let entries = try? AtomEntries(xml) else { return nil }
        return entries.titles
    }

    /// The RSS 2.0 items' titles and publication dates, or nil when the XML is not well-formed.
    static func itemTitlesAndDates(_ xml: String) -> [(title: String, date: String)]? {
        final class Collector: NSObject, XMLParserDelegate {
            var items: [(title: String, date: String)] = []
            var inItem = false, element = "", text = "", title = "", date = ""
            func parser(
                _ parser: XMLParser,
                didStartElement name: String,
                namespaceURI: String?,
                qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                if name == "item" {
                    inItem = true
                    title = ""
                    date = ""
                }
                element = name
                text = ""
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if inItem && name == "title" { title = text }
                if inItem && name == "pubDate" { date = text }
                if name == "item" {
                    items.append((title, date))
                    inItem = false
                }
            }
        }
        let collector = Collector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        return parser.parse() && xml.hasSuffix("</rss>\n") ? collector.items : nil
    }

    @Test func everyFeedIsAlsoWellFormedRSS() async throws {
        let hostile = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(
                id: "2405.99999",
                title: "<b>Bold</b> & \u{1}co",
                summary: "x < y",
                authors: ["A & B"],
                upvotes: 1,
                source: .huggingFace
            ),
            upvotes: 1
        )
        try await TestApp.withApp(extraEntries: [hostile]) { client in
            let daily = try await client.get("/feeds/daily.rss")
            #expect(daily.status == .ok)
            #expect(daily.headers[.contentType] == "application/rss+xml; charset=utf-8")
            let items = try #require(Self.itemTitlesAndDates(daily.body))
            let atomTitles = try #require(Self.entryTitles(try await client.get("/feeds/daily.atom").body))
            #expect(items.map(\.title) == atomTitles, "the same entries in both formats")
            #expect(items.contains { $0.title == "<b>Bold</b> & co" })
            #expect(items.allSatisfy { $0.date == "Tue, 28 May 2024 00:00:00 +0000" })
            #expect(daily.body.contains("<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"http://"))
            #expect(daily.body.contains("/feeds/daily.rss\"/>"))

            #expect(try #require(Self.itemTitlesAndDates(try await client.get("/feeds/trending.rss").body)).count > 0)
            let search = try #require(Self.itemTitlesAndDates(try await client.get("/feeds/search.rss?q=vision+language").body))
            #expect(search.contains { $0.title == "An Introduction to Vision-Language Modeling" })
            #expect(try await client.get("/feeds/search.rss").status == .badRequest)
            #expect(try await client.get("/").body.contains("type=\"application/rss+xml\""), "pages announce the RSS feeds")
        }
    }

    @Test func rssDatesAreRFC822() {
        #expect(RSSFeed.date(FeedDay("2024-05-28")!) == "Tue, 28 May 2024 00:00:00 +0000")
        #expect(RSSFeed.date(FeedDay("1970-01-01")!) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(RSSFeed.date(FeedDay("2026-11-22")!) == "Sun, 22 Nov 2026 00:00:00 +0000")
    }

    @Test func dailyTrendingAndSearchFeedsAreWellFormedAtom() async throws {
        let hostile = DailyEntry(
            day: FeedDay("2024-05-28")!,
            paper: Paper(
                id: "2405.99999",
                title: "<script>alert(1)</script> & \u{1}control",
                summary: "a < b && c > d",
                authors: ["O'Brien \"Quote\""],
                upvotes: 1,
                source: .huggingFace
            ),
            upvotes: 1
        )
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
