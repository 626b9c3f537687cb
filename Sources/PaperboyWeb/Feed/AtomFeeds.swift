import Foundation
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore

/// Feeds for feed readers, each in Atom (`.atom`) and RSS 2.0 (`.rss`): the latest day,
/// trending, and any search (a saved search).
struct AtomFeedRoutes: Sendable {
    let feed: FeedService
    let search: SearchService
    let publicURL: LinkBase

    /// What a feed holds, whatever its format; URLs are paths below the site's base URL.
    struct Document {
        var title: String
        /// The path of the feed without its extension, e.g. `/feeds/daily`.
        var path: String
        var query = ""
        var sitePath: String
        var updated: FeedDay?
        var entries: [(Paper, FeedDay)]
    }

    enum Format: String, CaseIterable {
        case atom, rss

        var contentType: String {
            self == .atom ? "application/atom+xml; charset=utf-8" : "application/rss+xml; charset=utf-8"
        }
    }

    func register(on router: Router<AppRequestContext>) {
        for format in Format.allCases {
            router.get("/feeds/daily.\(format.rawValue)") { request, _ in
                let document: Document
                if let latest = try await feed.latestDay() {
                    let page = try await feed.feed(for: .day(latest))
                    document = Document(
                        title: "Paperboy · Daily Papers",
                        path: "/feeds/daily",
                        sitePath: "/",
                        updated: latest,
                        entries: page.entries.map { ($0.paper, $0.day) }
                    )
                } else {
                    document = Document(title: "Paperboy · Daily Papers", path: "/feeds/daily", sitePath: "/", updated: nil, entries: [])
                }
                return respond(document, format, request)
            }
            router.get("/feeds/trending.\(format.rawValue)") { request, _ in
                let entries = try await feed.trendingEntries(limit: 30).map(\.entry)
                return respond(
                    Document(
                        title: "Paperboy · Trending",
                        path: "/feeds/trending",
                        sitePath: "/papers/trending",
                        updated: entries.map(\.day).max(),
                        entries: entries.map { ($0.paper, $0.day) }
                    ),
                    format,
                    request
                )
            }
            router.get("/feeds/author.\(format.rawValue)") { request, _ in
                let name = QueryString(request).get("name") ?? ""
                let author = try await AuthorService(store: feed.store, engine: search.engine).author(named: name, limit: 30)
                let encoded = "?name=\(QueryString.encode(author.name))"
                return respond(
                    Document(
                        title: "Paperboy · Papers by \(author.name)",
                        path: "/feeds/author",
                        query: encoded,
                        sitePath: PageRenderer.authorPath(author.name),
                        updated: author.papers.compactMap(\.publishedDay).max(),
                        entries: author.papers.map { ($0, $0.publishedDay ?? FeedDay(daysSinceEpoch: 0)) }
                    ),
                    format,
                    request
                )
            }
            router.get("/feeds/search.\(format.rawValue)") { request, _ in
                let query = String((QueryString(request).get("q") ?? "").prefix(250))
                guard !query.trimmingWhitespace().isEmpty else { throw DomainError.invalid("q is required") }
                var papers: [Paper] = []
                if case .results(let results) = try await search.search(query, perPage: 30) { papers = results.papers.map(\.paper) }
                let encoded = "?q=\(QueryString.encode(query))"
                return respond(
                    Document(
                        title: "Paperboy · Search: \(query)",
                        path: "/feeds/search",
                        query: encoded,
                        sitePath: "/search\(encoded)",
                        updated: papers.compactMap(\.publishedDay).max(),
                        entries: papers.map { ($0, $0.publishedDay ?? FeedDay(daysSinceEpoch: 0)) }
                    ),
                    format,
                    request
                )
            }
        }
    }

    func respond(_ document: Document, _ format: Format, _ request: Request) -> Response {
        let base = publicURL.base(for: request)
        let selfURL = "\(base)\(document.path).\(format.rawValue)\(document.query)"
        let siteURL = base + document.sitePath
        let xml =
            switch format {
            case .atom:
                AtomFeed.render(
                    title: document.title,
                    selfURL: selfURL,
                    siteURL: siteURL,
                    updated: document.updated,
                    entries: document.entries,
                    base: base
                )
            case .rss:
                RSSFeed.render(
                    title: document.title,
                    selfURL: selfURL,
                    siteURL: siteURL,
                    updated: document.updated,
                    entries: document.entries,
                    base: base
                )
            }
        return Response(
            status: .ok,
            headers: [.contentType: format.contentType],
            body: .init(byteBuffer: ByteBuffer(string: xml))
        )
    }
}

/// RSS 2.0, with `atom:link rel="self"` and `dc:creator` for authors (RSS's own `author`
/// element wants an email address).
enum RSSFeed {
    static func render(title: String, selfURL: String, siteURL: String, updated: FeedDay?, entries: [(Paper, FeedDay)], base: String) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel>
              <title>\(Markup.escape(title))</title>
              <link>\(Markup.escape(siteURL))</link>
              <description>\(Markup.escape(title)): community-curated research papers</description>
              <atom:link rel="self" type="application/rss+xml" href="\(Markup.escape(selfURL))"/>
              <lastBuildDate>\(date(updated ?? FeedDay(daysSinceEpoch: 0)))</lastBuildDate>
              <generator>Paperboy</generator>

            """
        for (paper, day) in entries {
            let url = "\(base)/papers/\(paper.id)"
            xml += "  <item>\n"
            xml += "    <title>\(Markup.escape(paper.title))</title>\n"
            xml += "    <link>\(Markup.escape(url))</link>\n"
            xml += "    <guid isPermaLink=\"true\">\(Markup.escape(url))</guid>\n"
            xml += "    <pubDate>\(date(day))</pubDate>\n"
            for author in paper.authors.prefix(20) { xml += "    <dc:creator>\(Markup.escape(author))</dc:creator>\n" }
            xml += "    <description>\(Markup.escape(paper.summary))</description>\n"
            xml += "  </item>\n"
        }
        return xml + "</channel>\n</rss>\n"
    }

    /// RFC 822 as RSS 2.0 wants it, at midnight UTC of the feed day: `Tue, 28 May 2024 00:00:00 +0000`.
    static func date(_ day: FeedDay) -> String {
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let (year, month, dayOfMonth) = day.components
        let two = dayOfMonth < 10 ? "0\(dayOfMonth)" : "\(dayOfMonth)"
        return "\(days[day.isoWeekday - 1]), \(two) \(months[month - 1]) \(year) 00:00:00 +0000"
    }
}

enum AtomFeed {
    static func render(title: String, selfURL: String, siteURL: String, updated: FeedDay?, entries: [(Paper, FeedDay)], base: String) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>\(Markup.escape(title))</title>
              <id>\(Markup.escape(selfURL))</id>
              <link rel="self" href="\(Markup.escape(selfURL))"/>
              <link rel="alternate" type="text/html" href="\(Markup.escape(siteURL))"/>
              <updated>\(timestamp(updated ?? FeedDay(daysSinceEpoch: 0)))</updated>
              <generator>Paperboy</generator>

            """
        for (paper, day) in entries {
            let url = "\(base)/papers/\(paper.id)"
            xml += "  <entry>\n"
            xml += "    <title>\(Markup.escape(paper.title))</title>\n"
            xml += "    <id>\(Markup.escape(url))</id>\n"
            xml += "    <link rel=\"alternate\" type=\"text/html\" href=\"\(Markup.escape(url))\"/>\n"
            xml += "    <link rel=\"related\" type=\"application/pdf\" href=\"\(Markup.escape(paper.arxivPDFURL))\"/>\n"
            xml += "    <updated>\(timestamp(day))</updated>\n"
            for author in paper.authors.prefix(20) { xml += "    <author><name>\(Markup.escape(author))</name></author>\n" }
            if paper.authors.isEmpty { xml += "    <author><name>Unknown</name></author>\n" }
            xml += "    <summary>\(Markup.escape(paper.summary))</summary>\n"
            xml += "  </entry>\n"
        }
        return xml + "</feed>\n"
    }

    static func timestamp(_ day: FeedDay) -> String { "\(day)T00:00:00Z" }
}
