import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboySearch

/// The search page and the search, suggest and related-papers API.
struct SearchRoutes: Sendable {
    let search: SearchService
    let feed: FeedService
    let renderer: PageRenderer

    func register(on router: Router<AppRequestContext>) {
        router.get("/search") { request, context in try await searchPage(request, context) }
        router.get("/api/papers/search") { request, _ in
            let parameters = QueryString(request)
            // As huggingface_hub's `list_papers()` allows: no query lists the newest featured
            // papers, and a limit past the most this server gives is that most.
            let limit = min(try APIRoutes.integer(parameters, "limit", default: 50, range: 1...100_000), 120)
            guard let text = parameters.get("q"), !text.trimmingWhitespace().isEmpty else {
                let entries = try await feed.dailyPapers(.init(limit: limit))
                return try JSONResponse.make(entries.map { HFAPI.SearchItem($0.paper) })
            }
            let query = try Self.requiredQuery(parameters)
            let filters = try Self.filters(parameters)
            let mode = try Self.mode(parameters)
            let papers: [Paper]
            switch try await search.search(query, filters: filters, mode: mode, perPage: limit) {
            case .paper(let id): papers = try await feed.store.paper(id: id).map { [$0] } ?? []
            case .results(let results): papers = results.papers.map(\.paper)
            }
            return try JSONResponse.make(papers.map(HFAPI.SearchItem.init))
        }
        router.get("/api/papers/suggest") { request, _ in
            let parameters = QueryString(request)
            let query = try Self.requiredQuery(parameters)
            let limit = try APIRoutes.integer(parameters, "limit", default: 10, range: 1...50)
            return try JSONResponse.make(try await search.suggest(query, limit: limit).map { ["id": $0.id, "title": $0.title] })
        }
        router.get("/api/papers/:id/related") { request, context in
            let limit = try APIRoutes.integer(QueryString(request), "limit", default: 10, range: 1...50)
            let detail = try await feed.paper(id: try context.parameters.require("id"))
            let related = try await search.related(to: detail.paper, limit: limit)
            return try JSONResponse.make(related.map { HFAPI.Paper($0, entry: nil) })
        }
    }

    func searchPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parameters = QueryString(request)
        let query = parameters.get("q") ?? ""
        let page = try APIRoutes.integer(parameters, "page", default: 0, range: 0...500)
        let filters = try Self.filters(parameters)
        let mode = try Self.mode(parameters)
        var notice: String?
        var results: SearchService.Results?
        var missing: String?
        switch try await search.search(query, filters: filters, mode: mode, page: page) {
        case .paper(let id):
            return Response(status: .seeOther, headers: [.location: "/papers/\(id)"])
        case .results(let found):
            if let id = ArxivID(query.trimmingWhitespace()) {
                // An id we do not have: papers that share words with it are no answer; the
                // reader is offered to submit it instead.
                missing = id.base
            } else {
                results = found
                if mode != .lexical && search.engine.embeddedCount == 0 && !query.isEmpty {
                    notice = "Semantic ranking is warming up: these results are keyword matches only."
                }
            }
        }
        let html = try renderer.searchPage(
            results,
            query: String(query.prefix(SearchService.longestQuery)),
            filters: filters,
            mode: mode,
            analyzer: search.engine.analyzer,
            notice: notice,
            missingArxivID: missing,
            viewer: context.session.flatMap { session in session.reader.map { PageRenderer.Viewer(reader: $0, csrf: session.csrfToken) } }
        ) { target in
            var items = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "page", value: String(target))]
            if let from = filters.from { items.append(URLQueryItem(name: "from", value: from.description)) }
            if let to = filters.to { items.append(URLQueryItem(name: "to", value: to.description)) }
            if let category = filters.category { items.append(URLQueryItem(name: "category", value: category)) }
            if mode != .hybrid { items.append(URLQueryItem(name: "mode", value: mode.rawValue)) }
            var components = URLComponents()
            components.path = "/search"
            components.queryItems = items
            return components.string ?? "/search"
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// `q` for the API: required, at most 250 characters (Hugging Face's limit).
    static func requiredQuery(_ parameters: QueryString) throws -> String {
        guard let query = parameters.get("q"), !query.trimmingWhitespace().isEmpty else {
            throw DomainError.invalid("q is required")
        }
        guard query.count <= 250 else { throw DomainError.invalid("q must be at most 250 characters") }
        return query
    }

    static func filters(_ parameters: QueryString) throws -> SearchFilters {
        func day(_ name: String) throws -> FeedDay? {
            guard let text = parameters.get(name), !text.isEmpty else { return nil }
            guard let day = FeedDay(text) else { throw DomainError.invalid("\(name) must be YYYY-MM-DD, got “\(text.prefix(40))”") }
            return day
        }
        let category = parameters.get("category").map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        if let category, category.count > 40 { throw DomainError.invalid("category is too long") }
        return SearchFilters(from: try day("from"), to: try day("to"), category: category)
    }

    static func mode(_ parameters: QueryString) throws -> SearchMode {
        guard let text = parameters.get("mode"), !text.isEmpty else { return .hybrid }
        guard let mode = SearchMode(rawValue: text) else { throw DomainError.invalid("mode must be hybrid, lexical or dense") }
        return mode
    }
}
