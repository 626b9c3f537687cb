import Foundation
import PaperboyCore

/// Reads one JSON line of arXiv metadata in either shape we meet:
///
/// - the arXiv listing crawl: `id, title, authors[], categories[], summary, _feed_date`;
/// - Kaggle's arxiv-metadata-oai-snapshot: `id, title, abstract, authors` (one string),
///   `authors_parsed[[last, first, suffix]]`, `categories` (space separated), `update_date`,
///   `versions[{version, created}]`.
public struct ArxivMetadataParser: Sendable {
    public init() {}

    public func parse(line: Data) -> Result<Paper, ParseProblem> {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                return .failure(ParseProblem(reason: "line is not a JSON object"))
            }
            object = parsed
        } catch {
            return .failure(ParseProblem(reason: "not valid JSON"))
        }
        guard let rawID = object["id"] as? String else { return .failure(ParseProblem(reason: "missing id")) }
        guard let id = ArxivID(rawID) else {
            return .failure(ParseProblem(reason: "id \"\(rawID.prefix(40))\" is not an arXiv id"))
        }
        let title = (object["title"] as? String ?? "").collapsingWhitespace()
        guard !title.isEmpty else { return .failure(ParseProblem(reason: "paper \(id) has no title")) }
        let summary = (object["summary"] as? String ?? object["abstract"] as? String ?? "").unwrappingParagraphs()
        return .success(
            Paper(
                id: id.base,
                title: title,
                summary: summary,
                authors: Self.authors(object),
                publishedAt: Self.published(object),
                categories: Self.categories(object["categories"]),
                source: .arxiv
            )
        )
    }

    public struct ParseProblem: Error, Equatable {
        public var reason: String
    }

    static func authors(_ object: [String: Any]) -> [String] {
        if let list = object["authors"] as? [Any] {
            return list.compactMap { ($0 as? String)?.collapsingWhitespace() }.filter { !$0.isEmpty }
        }
        if let parsed = object["authors_parsed"] as? [[Any]] {
            return parsed.compactMap { parts -> String? in
                let texts = parts.compactMap { $0 as? String }
                guard let last = texts.first else { return nil }
                let first = texts.count > 1 ? texts[1] : ""
                let suffix = texts.count > 2 ? texts[2] : ""
                let name = [first, last, suffix].filter { !$0.isEmpty }.joined(separator: " ")
                return name.collapsingWhitespace()
            }.filter { !$0.isEmpty }
        }
        if let text = object["authors"] as? String {
            return text.replacingOccurrences(of: " and ", with: ", ")
                .split(separator: ",").map { String($0).collapsingWhitespace() }.filter { !$0.isEmpty }
        }
        return []
    }

    static func categories(_ value: Any?) -> [String] {
        if let list = value as? [Any] { return list.compactMap { $0 as? String } }
        if let text = value as? String { return text.split(separator: " ").map(String.init) }
        return []
    }

    /// First version's date when known (Kaggle), else the first listing day.
    static func published(_ object: [String: Any]) -> String? {
        if let versions = object["versions"] as? [[String: Any]], let created = versions.first?["created"] as? String,
            let timestamp = RFC2822.isoTimestamp(created)
        {
            return timestamp
        }
        for key in ["published", "_feed_date", "update_date"] {
            if let text = object[key] as? String, FeedDay(text.prefix(10)) != nil {
                return text.count == 10 ? text + "T00:00:00.000Z" : text
            }
        }
        return nil
    }
}

/// Dates like `Mon, 2 Apr 2007 19:18:42 GMT` (arXiv's version history).
enum RFC2822 {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func isoTimestamp(_ text: String) -> String? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), let date = FeedDay(year: year, month: monthIndex + 1, day: day)
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && Int($0) != nil }) else { return nil }
        return "\(date)T\(parts[4]).000Z"
    }
}
