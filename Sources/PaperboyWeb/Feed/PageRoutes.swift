import Foundation
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// The server-rendered pages.
struct PageRoutes: Sendable {
    let feed: FeedService
    let search: SearchService
    let accounts: AccountService
    /// Admins see hidden papers' pages and get hide buttons.
    let admin: AdminService
    let discussions: DiscussionService
    let collections: CollectionService
    let renderer: PageRenderer
    let cache: ResponseCache
    var authors: AuthorService { AuthorService(store: feed.store, engine: search.engine) }

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { request, context in try await html(request, context) { try await latestPage($0) } }
        router.get("/papers/date/:date") { request, context in
            let text = try context.parameters.require("date")
            guard let day = FeedDay(text) else {
                throw DomainError.invalid("“\(text.prefix(40))” is not a date: use YYYY-MM-DD, e.g. 2024-05-27.")
            }
            return try await html(request, context) { try await periodPage(.day(day), $0) }
        }
        router.get("/papers/week/:week") { request, context in
            let text = try context.parameters.require("week")
            guard let week = FeedPeriod.parseWeek(text) else {
                throw DomainError.invalid("“\(text.prefix(40))” is not an ISO week: use YYYY-Www, e.g. 2024-W22.")
            }
            return try await html(request, context) { try await periodPage(week, $0) }
        }
        router.get("/papers/month/:month") { request, context in
            let text = try context.parameters.require("month")
            guard let month = FeedPeriod.parseMonth(text) else {
                throw DomainError.invalid("“\(text.prefix(40))” is not a month: use YYYY-MM, e.g. 2024-05.")
            }
            return try await html(request, context) { try await periodPage(month, $0) }
        }
        // Hugging Face's own addresses (/papers, ?date=, ?week=, ?month=, ?q=) lead to the same
        // page here, so links and habits from huggingface.co/papers work.
        router.get("/papers") { request, _ in
            Response(status: .movedPermanently, headers: [.location: try Self.paperboyLocation(forHuggingFace: request.uri.queryParameters)])
        }
        router.get("/papers/trending") { request, context in
            let span = try TrendingSpan(QueryString(request).get("period"))
            return try await html(request, context) { viewerFor in
                let days = try await feed.latestDay().map { span.days(endingOn: $0, defaultDays: feed.trendingWindowDays) }
                let entries = days == nil ? [] : try await feed.trendingEntries(in: days, limit: 50).map(\.entry)
                let viewer = try await viewerFor(entries.map(\.paper.id))
                return try renderer.trendingPage(entries, span: span, viewer: viewer)
            }
        }
        router.get("/help/trending") { request, context in
            try await html(request, context) { viewerFor in
                try renderer.render(
                    "help-trending",
                    ["pageTitle": "How trending works", "windowDays": DisplayText.counted(feed.trendingWindowDays, "feed day")],
                    viewer: try await viewerFor([])
                )
            }
        }
        router.get("/authors/:name") { request, context in
            let raw = try context.parameters.require("name")
            let name = raw.removingPercentEncoding ?? raw
            return try await html(request, context) { viewerFor in
                try renderer.authorPage(try await authors.author(named: name), viewer: try await viewerFor([]))
            }
        }
        router.get("/orgs/:name") { request, context in
            let raw = try context.parameters.require("name")
            let name = raw.removingPercentEncoding ?? raw
            return try await html(request, context) { viewerFor in
                let (organization, papers) = try await feed.organization(named: name)
                return try renderer.organizationPage(organization, papers: papers, viewer: try await viewerFor([]))
            }
        }
        router.get("/papers/:id") { request, context in
            try await paperResponse(request, context, id: try context.parameters.require("id"))
        }
        // Old-style arXiv ids contain a slash: /papers/hep-th/9901001
        // (The router needs the same parameter name at the same depth, hence `id` for the archive.)
        router.get("/papers/:id/:number") { request, context in
            let id = "\(try context.parameters.require("id"))/\(try context.parameters.require("number"))"
            return try await paperResponse(request, context, id: id)
        }
    }

    /// Where a Hugging Face papers address leads: the search for `q`, the period of `date`,
    /// `week` or `month`, or else the latest day.
    static func paperboyLocation(forHuggingFace query: some Collection<(key: Substring, value: Substring)>) throws -> String {
        func value(_ name: String) -> String? {
            query.first { $0.key == name }.map { String($0.value).removingPercentEncoding ?? String($0.value) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let text = value("q") {
            // Only unreserved characters stay as they are: a `+` would read as a space.
            let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
            return "/search?q=" + (text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        }
        if let text = value("date") {
            guard let day = FeedDay(text) else { throw DomainError.invalid("“\(text.prefix(40))” is not a date: use YYYY-MM-DD, e.g. 2024-05-27.") }
            return FeedPeriod.day(day).path
        }
        if let text = value("week") {
            guard let week = FeedPeriod.parseWeek(text) else {
                throw DomainError.invalid("“\(text.prefix(40))” is not an ISO week: use YYYY-Www, e.g. 2024-W22.")
            }
            return week.path
        }
        if let text = value("month") {
            guard let month = FeedPeriod.parseMonth(text) else {
                throw DomainError.invalid("“\(text.prefix(40))” is not a month: use YYYY-MM, e.g. 2024-05.")
            }
            return month.path
        }
        return "/"
    }

    func latestPage(_ viewerFor: ViewerFor) async throws -> String {
        guard let latest = try await feed.latestDay() else {
            let empty = FeedService.FeedPage(period: .day(FeedDay(daysSinceEpoch: 0)), entries: [], neighbours: .init(before: nil, after: nil))
            return try renderer.feedPage(empty, latest: true, viewer: try await viewerFor([]))
        }
        let page = try await feed.feed(for: .day(latest))
        return try renderer.feedPage(page, latest: true, viewer: try await viewerFor(page.entries.map(\.paper.id)))
    }

    func periodPage(_ period: FeedPeriod, _ viewerFor: ViewerFor) async throws -> String {
        let page = try await feed.feed(for: period)
        // A past day (or week, month) without papers is a page like any other, pointing to the
        // nearest days that have some; only the future is not found.
        let today = FeedDay(daysSinceEpoch: Int((feed.clock.now / 86_400).rounded(.down)))
        guard !page.entries.isEmpty || period.days.lowerBound <= today else {
            let links = renderer.pager(period: period, neighbours: page.neighbours)
            throw DomainError.notFound(
                "No papers were featured in \(renderer.label(for: period)).",
                previous: (links["previousURL"] as? String).map { .init(url: $0, label: links["previousLabel"] as? String ?? "") },
                next: (links["nextURL"] as? String).map { .init(url: $0, label: links["nextLabel"] as? String ?? "") }
            )
        }
        return try renderer.feedPage(page, latest: false, viewer: try await viewerFor(page.entries.map(\.paper.id)))
    }

    func paperResponse(_ request: Request, _ context: AppRequestContext, id: String) async throws -> Response {
        for format in Citations.Format.allCases where id.hasSuffix(".\(format.rawValue)") {
            let paperID = String(id.dropLast(format.rawValue.count + 1))
            let body = try await collections.export(paper: paperID, as: format)
            return CollectionRoutes.download(body, format: format, filename: "\(ArxivID(paperID)?.base ?? "paper").\(format.rawValue)")
        }
        if id.hasSuffix(".md") {
            let entry = try await cache.body(for: request.uri.description, contentType: "text/markdown; charset=utf-8") {
                ByteBuffer(string: PaperMarkdown.render(try await feed.paper(id: String(id.dropLast(3)))))
            }
            return Responses.make(entry, for: request, key: request.uri.description, cache: cache)
        }
        // Related papers improve as embeddings land, so they are part of the cache key.
        let isAdmin = try await admin.isAdmin(context.reader)
        return try await html(request, context, key: "\(request.uri.description)#\(search.engine.embeddedCount)") { viewerFor in
            let detail = try await feed.paper(id: id, includingHidden: isAdmin)
            let related = try await search.related(to: detail.paper, limit: 5)
            let viewer = try await viewerFor([detail.paper.id])
            let discussion = try await discussions.discussion(of: detail.paper.id, viewer: viewer?.reader)
            var saving: [(collection: PaperCollection, holds: Bool)] = []
            if let reader = viewer?.reader { saving = try await collections.saving(detail.paper.id, by: reader) }
            let reported = viewer == nil ? nil : QueryString(request).get("reported").flatMap { Int64($0) }
            return try renderer.paperPage(detail, related: related, discussion: discussion, reported: reported, saving: saving, viewer: viewer)
        }
    }

    /// Makes the viewer of a page once the page knows which papers it shows.
    typealias ViewerFor = ([String]) async throws -> PageRenderer.Viewer?

    /// A page: from the cache for anonymous visitors; rendered afresh (and never cached) for a
    /// logged-in reader, whose page carries their name, CSRF token and upvotes.
    func html(
        _ request: Request,
        _ context: AppRequestContext,
        key: String? = nil,
        render: (ViewerFor) async throws -> String
    ) async throws -> Response {
        guard let session = context.session, let reader = session.reader else {
            let key = key ?? request.uri.description
            let entry = try await cache.body(for: key, contentType: "text/html; charset=utf-8") {
                ByteBuffer(string: try await render { _ in nil })
            }
            return Responses.make(entry, for: request, key: key, cache: cache)
        }
        let isAdmin = try await admin.isAdmin(reader)
        let page = try await render { ids in
            PageRenderer.Viewer(
                reader: reader,
                csrf: session.csrfToken,
                upvoted: try await accounts.upvoted(by: reader, among: ids),
                returnTo: AccountRoutes.safeNext(request.uri.path),
                isAdmin: isAdmin
            )
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page))
        )
    }
}

enum Responses {
    /// A page rendered for one request: `private` ones (a reader's own) are never stored by
    /// caches, the others are revalidated.
    static func html(_ html: String, private: Bool) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: `private` ? "private, no-store" : "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// A 200 with a cached body, gzip-encoded when the client accepts it.
    static func make(_ entry: ResponseCache.Entry, for request: Request, key: String, cache: ResponseCache) -> Response {
        var headers: HTTPFields = [.contentType: entry.contentType, .vary: "Accept-Encoding"]
        if acceptsGzip(request), let gzipped = cache.gzipped(entry, for: key) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: entry.body))
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accepted = request.headers[.acceptEncoding] else { return false }
        return accepted.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.first?.lowercased() == "gzip" else { return false }
            return !fields.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }
}

/// Which feed days the trending page ranks: the last day, week or month of the feed, or the
/// server's trending window when no period is asked for.
enum TrendingSpan: String, CaseIterable, Sendable {
    case window, day, week, month

    init(_ text: String?) throws {
        guard let text, !text.isEmpty else {
            self = .window
            return
        }
        guard let span = TrendingSpan(rawValue: text), span != .window else {
            throw DomainError.invalid("period must be day, week or month")
        }
        self = span
    }

    func days(endingOn latest: FeedDay, defaultDays: Int) -> ClosedRange<FeedDay> {
        let count =
            switch self {
            case .window: defaultDays
            case .day: 1
            case .week: 7
            case .month: 30
            }
        return latest.adding(days: 1 - count)...latest
    }
}
