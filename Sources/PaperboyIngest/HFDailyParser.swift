import Foundation
import PaperboyCore

/// Reads one response of the Hugging Face `GET /api/daily_papers?date=` endpoint.
///
/// Two years of captures drifted in shape: older days lack `submittedOnDailyAt`, newer ones
/// add fields, titles keep arXiv's line breaks, one day is wrapped as `{"data": [...]}` and
/// some days hold items that are Python `repr` strings instead of objects. The fields Paperboy
/// queries become columns; each item is also kept whole (`DailyEntry.rawItem`), unknown fields
/// included, to be served back as it came. Each item that cannot be used becomes a
/// `Rejection`, never a failed file.
public struct HFDailyParser: Sendable {
    public init() {}

    public struct ParsedDay: Sendable {
        public var day: FeedDay
        public var entries: [DailyEntry]
        public var rejections: [Rejection]
    }

    public enum FileError: Error, CustomStringConvertible, Equatable {
        case notJSON(file: String, reason: String)
        case unexpectedShape(file: String)
        case noDate(file: String)

        public var description: String {
            switch self {
            case .notJSON(let file, let reason): return "\(file): not valid JSON (\(reason))"
            case .unexpectedShape(let file):
                return "\(file): expected a JSON array of daily-paper items or an object with \"data\""
            case .noDate(let file):
                return "\(file): cannot tell the feed day (name the file YYYY-MM-DD.json)"
            }
        }
    }

    /// Reads a capture saved as a file.
    /// - Parameter fileName: used for the feed day (`YYYY-MM-DD.json`, unless the body names its
    ///   `date`) and in rejections.
    public func parse(_ data: Data, fileName: String) throws -> ParsedDay {
        let nameDay = FeedDay(fileName.split(separator: "/").last?.prefix(10) ?? "")
        return try parse(data, source: fileName) { bodyDay in bodyDay ?? nameDay }
    }

    /// Reads a response body fetched for a known feed day.
    /// - Parameter source: names the body in rejections (a URL, say).
    public func parse(_ data: Data, day: FeedDay, source: String) throws -> ParsedDay {
        try parse(data, source: source) { _ in day }
    }

    /// - Parameter feedDay: given the `date` the body names, if any, decides the feed day.
    private func parse(_ data: Data, source: String, feedDay: (FeedDay?) -> FeedDay?) throws -> ParsedDay {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw FileError.notJSON(file: source, reason: Self.shortReason(error))
        }
        var items: [Any]
        var bodyDay: FeedDay?
        if let array = root as? [Any] {
            items = array
        } else if let object = root as? [String: Any], let array = object["data"] as? [Any] {
            items = array
            bodyDay = (object["date"] as? String).flatMap { FeedDay($0) }
        } else {
            throw FileError.unexpectedShape(file: source)
        }
        guard let day = feedDay(bodyDay) else { throw FileError.noDate(file: source) }
        let rawItems = RawItems(data, count: items.count)

        var entries: [DailyEntry] = []
        var rejections: [Rejection] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            switch entry(from: item, day: day) {
            case .success(var entry):
                if seen.insert(entry.paper.id).inserted {
                    entry.position = index
                    entry.rawItem = rawItems.item(index, parsed: item)
                    entries.append(entry)
                } else {
                    rejections.append(Rejection(file: source, index: index, reason: "duplicate paper \(entry.paper.id) on the same day"))
                }
            case .failure(let problem):
                rejections.append(Rejection(file: source, index: index, reason: problem.reason))
            }
        }
        items.removeAll()
        return ParsedDay(day: day, entries: entries, rejections: rejections)
    }

    /// The items of a body as the source wrote them: their exact bytes (whitespace between
    /// tokens dropped), found by a byte scan of the text JSONSerialization already accepted.
    /// Should the scan not line up with the parsed items (a body in UTF-16, say), each item is
    /// re-serialised from what was parsed instead: the same values, in another spelling.
    struct RawItems {
        let bytes: [UInt8]
        let ranges: [Range<Int>]?

        init(_ data: Data, count: Int) {
            bytes = [UInt8](data)
            var ranges = JSONBytes.elements(ofArrayAt: 0, in: bytes)
            if ranges == nil, let inner = JSONBytes.member("data", ofObjectAt: 0, in: bytes) {
                ranges = JSONBytes.elements(ofArrayAt: inner.lowerBound, in: bytes)
            }
            self.ranges = ranges?.count == count ? ranges : nil
        }

        func item(_ index: Int, parsed: Any) -> Data? {
            if let ranges { return Data(JSONBytes.minified(bytes[ranges[index]])) }
            return try? JSONSerialization.data(withJSONObject: parsed, options: [.withoutEscapingSlashes])
        }
    }

    struct Problem: Error { var reason: String }

    func entry(from item: Any, day: FeedDay) -> Result<DailyEntry, Problem> {
        guard let object = item as? [String: Any] else {
            if let text = item as? String {
                let looksLikeRepr = text.hasPrefix("{'") || text.hasPrefix("{\"")
                return .failure(
                    Problem(
                        reason: looksLikeRepr
                            ? "item is a string holding a Python repr, not a JSON object"
                            : "item is a string, not a JSON object"
                    )
                )
            }
            return .failure(Problem(reason: "item is \(Self.kind(of: item)), not a JSON object"))
        }
        guard let paperObject = object["paper"] as? [String: Any] else {
            return .failure(Problem(reason: "missing \"paper\" object"))
        }
        guard let rawID = paperObject["id"] as? String else {
            return .failure(Problem(reason: "missing paper.id"))
        }
        guard let id = ArxivID(rawID) else {
            return .failure(Problem(reason: "paper.id \"\(rawID.prefix(40))\" is not an arXiv id"))
        }
        let rawTitle = (paperObject["title"] as? String) ?? (object["title"] as? String) ?? ""
        let title = rawTitle.collapsingWhitespace()
        guard !title.isEmpty else { return .failure(Problem(reason: "paper \(id) has no title")) }
        let summary = ((paperObject["summary"] as? String) ?? (object["summary"] as? String) ?? "")
            .unwrappingParagraphs()

        let authors = (paperObject["authors"] as? [Any] ?? []).compactMap { author -> String? in
            ((author as? [String: Any])?["name"] as? String)?.collapsingWhitespace()
        }.filter { !$0.isEmpty }
        let organization = Self.organization(paperObject["organization"] ?? object["organization"])
        let upvotes = Self.int(paperObject["upvotes"]) ?? 0
        let paper = Paper(
            id: id.base,
            title: title,
            summary: summary,
            authors: authors,
            publishedAt: Self.timestamp(paperObject["publishedAt"]),
            githubRepo: Self.nonEmpty(paperObject["githubRepo"]),
            githubStars: Self.int(paperObject["githubStars"]),
            projectPage: Self.nonEmpty(paperObject["projectPage"]),
            aiSummary: Self.nonEmpty(paperObject["ai_summary"]),
            aiKeywords: (paperObject["ai_keywords"] as? [Any] ?? []).compactMap { $0 as? String },
            organization: organization,
            discussionID: Self.nonEmpty(paperObject["discussionId"]),
            upvotes: upvotes,
            source: .huggingFace
        )
        let submitterObject = (object["submittedBy"] ?? paperObject["submittedOnDailyBy"]) as? [String: Any]
        let submitter = submitterObject.flatMap { user -> Submitter? in
            guard let name = Self.nonEmpty(user["name"] ?? user["user"]) else { return nil }
            return Submitter(name: name, fullname: Self.nonEmpty(user["fullname"]), avatarURL: Self.nonEmpty(user["avatarUrl"]))
        }
        return .success(
            DailyEntry(
                day: day,
                paper: paper,
                submittedAt: Self.timestamp(paperObject["submittedOnDailyAt"] ?? object["publishedAt"]),
                submitter: submitter,
                upvotes: upvotes,
                numComments: Self.int(object["numComments"]) ?? 0,
                thumbnail: Self.nonEmpty(object["thumbnail"])
            )
        )
    }

    static func organization(_ value: Any?) -> Organization? {
        guard let object = value as? [String: Any], let name = nonEmpty(object["name"]) else { return nil }
        return Organization(name: name, fullname: nonEmpty(object["fullname"]), avatar: nonEmpty(object["avatar"]))
    }

    static func nonEmpty(_ value: Any?) -> String? {
        guard let text = (value as? String)?.trimmingWhitespace(), !text.isEmpty else { return nil }
        return text
    }

    static func int(_ value: Any?) -> Int? {
        // (On Linux every JSON number also casts to Bool, so no Bool check here.)
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }

    /// Keeps an ISO 8601 timestamp when it starts with a real date; anything else is dropped.
    static func timestamp(_ value: Any?) -> String? {
        guard let text = nonEmpty(value), FeedDay(text.prefix(10)) != nil else { return nil }
        return text.count == 10 ? text + "T00:00:00.000Z" : text
    }

    static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is [Any]: return "an array"
        case is NSNumber: return "a number"
        default: return "\(type(of: value))"
        }
    }

    static func shortReason(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return String(text.prefix(120))
    }
}
