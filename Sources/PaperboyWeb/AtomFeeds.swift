import Foundation
import Hummingbird
import NIOCore
import PaperboyCore

/// Atom feeds for feed readers: the latest day, trending, and any search (a saved search).
struct AtomFeedRoutes: Sendable {
    let feed: FeedService
    let search: SearchService
    let publicURL: String?

    func register(on router: Router<AppRequestContext>) {
        router.get("/feeds/daily.atom") { request, _ in
            let base = publicBaseURL(request, configured: publicURL)
            guard let latest = try await feed.latestDay() else {
                return atom(AtomFeed.render(title: "Paperboy · Daily Papers", selfURL: "\(base)/feeds/daily.atom", siteURL: "\(base)/", updated: nil, entries: [], base: base))
            }
            let page = try await feed.feed(for: .day(latest))
            return atom(AtomFeed.render(
                title: "Paperboy · Daily Papers", selfURL: "\(base)/feeds/daily.atom", siteURL: "\(base)/",
                updated: latest, entries: page.entries.map { ($0.paper, $0.day) }, base: base))
        }
        router.get("/feeds/trending.atom") { request, _ in
            let base = publicBaseURL(request, configured: publicURL)
            let entries = try await feed.trendingEntries(limit: 30).map(\.entry)
            return atom(AtomFeed.render(
                title: "Paperboy · Trending", selfURL: "\(base)/feeds/trending.atom", siteURL: "\(base)/papers/trending",
                updated: entries.map(\.day).max(), entries: entries.map { ($0.paper, $0.day) }, base: base))
        }
        router.get("/feeds/search.atom") { request, _ in
            let base = publicBaseURL(request, configured: publicURL)
            let query = String((QueryString(request).get("q") ?? "").prefix(250))
            guard !query.trimmingWhitespace().isEmpty else { throw AppError.badRequest("q is required") }
            var papers: [Paper] = []
            if case .results(let results) = try await search.search(query, perPage: 30) { papers = results.papers.map(\.paper) }
            let selfURL = "\(base)/feeds/search.atom?q=\(QueryString.encode(query))"
            return atom(AtomFeed.render(
                title: "Paperboy · Search: \(query)", selfURL: selfURL, siteURL: "\(base)/search?q=\(QueryString.encode(query))",
                updated: papers.compactMap(\.publishedDay).max(),
                entries: papers.map { ($0, $0.publishedDay ?? FeedDay(daysSinceEpoch: 0)) }, base: base))
        }
    }

    func atom(_ xml: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}

enum AtomFeed {
    static func render(title: String, selfURL: String, siteURL: String, updated: FeedDay?, entries: [(Paper, FeedDay)], base: String) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>\(escape(title))</title>
              <id>\(escape(selfURL))</id>
              <link rel="self" href="\(escape(selfURL))"/>
              <link rel="alternate" type="text/html" href="\(escape(siteURL))"/>
              <updated>\(timestamp(updated ?? FeedDay(daysSinceEpoch: 0)))</updated>
              <generator>Paperboy</generator>

            """
        for (paper, day) in entries {
            let url = "\(base)/papers/\(paper.id)"
            xml += "  <entry>\n"
            xml += "    <title>\(escape(paper.title))</title>\n"
            xml += "    <id>\(escape(url))</id>\n"
            xml += "    <link rel=\"alternate\" type=\"text/html\" href=\"\(escape(url))\"/>\n"
            xml += "    <link rel=\"related\" type=\"application/pdf\" href=\"\(escape(paper.arxivPDFURL))\"/>\n"
            xml += "    <updated>\(timestamp(day))</updated>\n"
            for author in paper.authors.prefix(20) { xml += "    <author><name>\(escape(author))</name></author>\n" }
            if paper.authors.isEmpty { xml += "    <author><name>Unknown</name></author>\n" }
            xml += "    <summary>\(escape(paper.summary))</summary>\n"
            xml += "  </entry>\n"
        }
        return xml + "</feed>\n"
    }

    static func timestamp(_ day: FeedDay) -> String { "\(day)T00:00:00Z" }

    /// XML text and attribute escaping; characters XML 1.0 forbids (most C0 controls) are dropped.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r": continue
            case "\u{FFFE}", "\u{FFFF}": continue
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
