import Foundation

/// The recorded upstreams the server knows how to replay from files: Hugging Face days, arXiv
/// OAI-PMH pages (each answering the request it records) and arXiv's legacy OAI endpoint.
extension ReplayServer {
    /// Serves `GET path?date=D` from `directory/D.json`, read at request time (so a test or a
    /// benchmark can rewrite a day between syncs), and `[]` for a day without a file, as
    /// Hugging Face answers a day nobody submitted to.
    public func serveHFDailyPapers(from directory: URL, path: String = "/api/daily_papers") {
        handle(path) { request in
            guard let date = request.query["date"], Self.isDay(date) else {
                return .json(#"{"error":"Invalid date"}"#, status: 400)
            }
            let file = directory.appendingPathComponent("\(date).json")
            guard let data = FileManager.default.contents(atPath: file.path) else { return .json("[]") }
            return .json(data)
        }
    }

    /// Serves each OAI-PMH page at `path` for exactly the request its `<request>` element
    /// records (`verb`, `metadataPrefix`, `set`, `from`, `until` or `resumptionToken`), so a
    /// client following resumption tokens walks a recorded harvest. Directories are searched
    /// for `.xml` files. Pages whose `<request>` names no arguments (an error page for an
    /// illegal argument) cannot be matched and are listed in `skipped`.
    @discardableResult
    public func serveOAIPages(_ locations: [URL], path: String = "/oai") throws -> (served: [OAIRecordedPage], skipped: [URL]) {
        var served: [OAIRecordedPage] = []
        var skipped: [URL] = []
        for file in try Self.xmlFiles(in: locations) {
            let data = try Data(contentsOf: file)
            guard let query = OAIRecordedPage.requestArguments(of: data), !query.isEmpty else {
                skipped.append(file)
                continue
            }
            route(path, query: query, .xml(data))
            served.append(OAIRecordedPage(file: file, query: query))
        }
        return (served, skipped)
    }

    /// Serves arXiv API lookups (`GET path?id_list=…`) from arxiv.py's recorded fixtures
    /// (`{url, status_code, body}` JSON files, the body stored as Latin-1 text of the raw
    /// bytes): a request gets the fixture recorded for the same `id_list`, whatever its other
    /// parameters; an `id_list` nobody recorded falls through to 404. Returns the ids served.
    @discardableResult
    public func serveArxivAPI(fixtures directory: URL, path: String = "/api/query") throws -> [String] {
        var answers: [String: ReplayResponse] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            guard let fixture = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let url = (fixture["url"] as? String).flatMap(URLComponents.init(string:)),
                let ids = url.queryItems?.first(where: { $0.name == "id_list" })?.value, !ids.isEmpty,
                let status = fixture["status_code"] as? Int, let body = fixture["body"] as? String
            else { continue }
            let bytes = body.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            answers[ids] = ReplayResponse(status: status, headers: [ReplayHeader("Content-Type", "application/atom+xml; charset=utf-8")], body: bytes)
        }
        let recorded = answers
        handle(path) { request in request.query["id_list"].flatMap { recorded[$0] } }
        return answers.keys.sorted()
    }

    /// `legacyPath` (arXiv's old `/oai2`) answers 301 to `path` with the same query, as
    /// `export.arxiv.org/oai2` now redirects to `oaipmh.arxiv.org/oai`.
    public func redirectLegacyOAI(from legacyPath: String = "/oai2", to path: String = "/oai") {
        let base = baseURL
        handle(legacyPath) { request in
            let query = request.uri.firstIndex(of: "?").map { String(request.uri[$0...]) } ?? ""
            return .redirect(to: base + path + query)
        }
    }

    private static func isDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }
    }

    private static func xmlFiles(in locations: [URL]) throws -> [URL] {
        var files: [URL] = []
        for location in locations {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: location.path])
            }
            guard isDirectory.boolValue else {
                files.append(location)
                continue
            }
            let names = try FileManager.default.subpathsOfDirectory(atPath: location.path).filter { $0.hasSuffix(".xml") }.sorted()
            files += names.map { location.appendingPathComponent($0) }
        }
        return files
    }
}

/// A recorded OAI-PMH page and the request it answers.
public struct OAIRecordedPage: Sendable, Equatable {
    public var file: URL
    /// The decoded query parameters of the request, e.g. `["verb": "ListRecords",
    /// "resumptionToken": "6965856|1001"]`.
    public var query: [String: String]

    /// The attributes of the page's `<request>` element, read from the first few kilobytes
    /// without parsing the (possibly megabytes of) records.
    public static func requestArguments(of page: Data) -> [String: String]? {
        let head = String(decoding: page.prefix(8192), as: UTF8.self)
        guard let start = head.range(of: "<request"), let end = head[start.upperBound...].firstIndex(of: ">") else { return nil }
        var attributes: [String: String] = [:]
        var rest = head[start.upperBound..<end].drop { $0 == " " }
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: .whitespacesAndNewlines)
            let afterEquals = rest[rest.index(after: equals)...].drop { $0 == " " }
            guard let quote = afterEquals.first, quote == "\"" || quote == "'" else { return nil }
            let valueStart = afterEquals.index(after: afterEquals.startIndex)
            guard let valueEnd = afterEquals[valueStart...].firstIndex(of: quote) else { return nil }
            attributes[name] = unescape(afterEquals[valueStart..<valueEnd])
            rest = afterEquals[afterEquals.index(after: valueEnd)...]
        }
        return attributes
    }

    private static func unescape(_ text: Substring) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
