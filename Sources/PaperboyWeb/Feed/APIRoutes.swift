import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore

/// The Hugging Face compatible JSON API.
struct APIRoutes: Sendable {
    let feed: FeedService
    let cache: ResponseCache
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.get("/api/daily_papers") { request, _ in
            let query = try Self.dailyPapersQuery(QueryString(request))
            return try await cachedBody(request) { try CapturedJSON.dailyItems(try await feed.dailyPapers(query)) }
        }
        router.get("/api/papers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await cachedBody(request) {
                let detail = try await feed.paper(id: id)
                if let captured = try CapturedJSON.paper(detail.paper, latestEntry: detail.latestEntry) { return captured }
                var paper = HFAPI.Paper(detail.paper, entry: detail.latestEntry)
                paper.numComments = (detail.latestEntry?.numComments ?? 0) + detail.paper.localComments
                return ByteBuffer(bytes: try JSONResponse.encoder.encode(paper))
            }
        }
        router.get("/api/papers") { request, _ in
            let parameters = QueryString(request)
            let limit = try Self.integer(parameters, "limit", default: 50, range: 1...100)
            let cursor = parameters.get("cursor").flatMap { $0.isEmpty ? nil : $0 }
            if let cursor, cursor.count > 64 { throw DomainError.invalid("cursor is not one this server gave out") }
            let papers = try await feed.listPapers(after: cursor, limit: limit)
            var headers: HTTPFields = [:]
            if papers.count == limit, let last = papers.last {
                // Link header pagination, as huggingface_hub's `paginate` follows it.
                let next = "\(publicURL.base(for: request))/api/papers?cursor=\(QueryString.encode(last.id))&limit=\(limit)"
                headers[HTTPField.Name("Link")!] = "<\(next)>; rel=\"next\""
            }
            return try JSONResponse.make(papers.map { HFAPI.Paper($0, entry: nil) }, headers: headers)
        }
    }

    /// A JSON body, built once per URL until the data changes.
    func cachedBody(_ request: Request, build: () async throws -> ByteBuffer) async throws -> Response {
        let key = request.uri.description
        let entry = try await cache.body(for: key, contentType: "application/json; charset=utf-8", render: build)
        return Responses.make(entry, for: request, key: key, cache: cache)
    }

    /// Validates `p, limit, date, week, month, submitter, sort` as Hugging Face defines them.
    static func dailyPapersQuery(_ parameters: QueryString) throws -> FeedService.DailyPapersQuery {
        var query = FeedService.DailyPapersQuery()
        query.page = try integer(parameters, "p", default: 0, range: 0...100_000)
        query.limit = try integer(parameters, "limit", default: 50, range: 1...100)
        var periods: [FeedPeriod] = []
        if let text = parameters.get("date") {
            guard let day = FeedDay(text) else { throw DomainError.invalid("date must be YYYY-MM-DD, got “\(text.prefix(40))”") }
            periods.append(.day(day))
        }
        if let text = parameters.get("week") {
            guard let week = FeedPeriod.parseWeek(text) else { throw DomainError.invalid("week must be YYYY-Www, got “\(text.prefix(40))”") }
            periods.append(week)
        }
        if let text = parameters.get("month") {
            guard let month = FeedPeriod.parseMonth(text) else { throw DomainError.invalid("month must be YYYY-MM, got “\(text.prefix(40))”") }
            periods.append(month)
        }
        guard periods.count <= 1 else { throw DomainError.invalid("use only one of date, week and month") }
        query.period = periods.first
        if let submitter = parameters.get("submitter") {
            guard !submitter.isEmpty, submitter.count <= 100 else { throw DomainError.invalid("submitter must be a username of 1 to 100 characters") }
            query.submitter = submitter
        }
        if let sort = parameters.get("sort") {
            guard let value = FeedService.DailyPapersQuery.Sort(rawValue: sort) else {
                throw DomainError.invalid("sort must be publishedAt or trending")
            }
            query.sort = value
        }
        return query
    }

    static func integer(_ parameters: QueryString, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = parameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw DomainError.invalid("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
