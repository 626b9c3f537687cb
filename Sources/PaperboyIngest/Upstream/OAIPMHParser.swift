import Foundation
import PaperboyCore

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads one OAI-PMH `ListRecords` answer from arXiv into an `OAIPage`, streaming (SAX, no
/// document tree): a page holds 1,000 records and megabytes of abstracts.
///
/// The three metadata formats arXiv offers become the same `Paper`:
/// - `arXiv`: `<id>`, `<created>`/`<updated>`, `<authors><author><keyname/><forenames/><suffix/>`,
///   `<categories>`, `<abstract>`;
/// - `arXivRaw`: `<id>`, `<version><date>` (RFC 822) per version, `<authors>` as one string;
/// - `oai_dc`: `<dc:creator>` "Last, First", `<dc:date>` per version, no categories.
///
/// A record without a usable id or title becomes a record with a `problem`, never a failed
/// page. `noRecordsMatch` is an empty last page; other OAI errors throw `UpstreamError.oai`;
/// a body that is not a complete OAI-PMH document throws `UpstreamError.badBody`.
public struct OAIPMHParser: Sendable {
    public init() {}

    public func parse(_ data: Data) throws -> OAIPage {
        let reader = OAIPageReader()
        // Fed as a stream, in chunks: given one `Data`, libxml2 sees a single push of the whole
        // page and refuses pages over 10 MB ("huge input lookup"), e.g. a 10,000-record page.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = reader
        let parsed = parser.parse()
        guard parsed else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown"
            throw UpstreamError.badBody("malformed XML at line \(parser.lineNumber): \(reason)")
        }
        // libxml2 on Linux can end a cut-off document without an error: the root must close.
        guard reader.sawRoot else { throw UpstreamError.badBody("not an OAI-PMH document") }
        guard reader.closedRoot else { throw UpstreamError.badBody("truncated OAI-PMH document") }
        if let (code, message) = reader.error {
            if code == "noRecordsMatch" { return OAIPage(records: [], responseDate: reader.responseDate) }
            throw UpstreamError.oai(code: code, message: message)
        }
        return OAIPage(
            records: reader.records,
            resumptionToken: reader.resumptionToken,
            completeListSize: reader.completeListSize,
            cursor: reader.cursor,
            responseDate: reader.responseDate
        )
    }
}

/// The SAX delegate: keeps only the current record's fields and the text of the element being
/// read, so memory is the records built so far plus one record.
private final class OAIPageReader: NSObject, XMLParserDelegate {
    var records: [OAIRecord] = []
    var responseDate: String?
    var resumptionToken: String?
    var completeListSize: Int?
    var cursor: Int?
    var error: (code: String, message: String)?
    var sawRoot = false
    var closedRoot = false

    private var record: OAIRecordFields?
    private var errorCode: String?
    /// Local names (namespace prefix dropped) of the open elements.
    private var path: [String] = []
    private var text = ""
    /// Whether character data is being collected (only inside elements we read).
    private var capturing = false
    private var author = AuthorName()

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let name = Self.localName(elementName)
        path.append(name)
        text = ""
        capturing = false
        switch name {
        case "OAI-PMH" where path.count == 1: sawRoot = true
        case "responseDate", "identifier", "datestamp", "setSpec", "id", "created", "updated", "title", "abstract", "description",
            "categories", "keyname", "forenames", "suffix", "creator", "date", "resumptionToken":
            capturing = true
            if name == "resumptionToken" {
                cursor = attributes["cursor"].flatMap { Int($0) }
                completeListSize = attributes["completeListSize"].flatMap { Int($0) }
            }
        case "authors": capturing = record?.format == .arXivRaw
        case "error":
            capturing = true
            errorCode = attributes["code"] ?? "unknown"
        case "record": record = OAIRecordFields()
        case "header": if attributes["status"] == "deleted" { record?.deleted = true }
        case "arXiv": record?.format = .arXiv
        case "arXivRaw": record?.format = .arXivRaw
        case "dc": record?.format = .oaiDC
        case "author": author = AuthorName()
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if capturing { text += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if capturing { text += String(decoding: CDATABlock, as: UTF8.self) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let name = Self.localName(elementName)
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        defer {
            path.removeLast()
            capturing = false
        }
        switch name {
        case "OAI-PMH" where path.count == 1: closedRoot = true
        case "responseDate": responseDate = text.trimmingWhitespace()
        case "error":
            error = (errorCode ?? "unknown", text.collapsingWhitespace())
        case "resumptionToken":
            resumptionToken = text.trimmingWhitespace()
        case "record":
            if let fields = record { records.append(fields.record()) }
            record = nil
        default:
            if record != nil { readField(name, parent: parent) }
        }
    }

    /// One closed element inside a record.
    private func readField(_ name: String, parent: String) {
        switch (name, parent) {
        case ("identifier", "header"): record?.identifier = text.trimmingWhitespace()
        case ("datestamp", "header"): record?.datestamp = text.trimmingWhitespace()
        case ("setSpec", "header"): record?.setSpecs.append(text.trimmingWhitespace())
        case ("id", _): record?.id = text.trimmingWhitespace()
        case ("title", _): record?.title = text
        case ("abstract", _): record?.abstract = text
        case ("description", _): if record?.abstract == nil { record?.abstract = text }  // oai_dc: then "Comment: …"
        case ("categories", _): record?.categories = text.split(whereSeparator: \.isWhitespace).map(String.init)
        case ("created", _): record?.created = text.trimmingWhitespace()
        case ("updated", _): record?.updated = text.trimmingWhitespace()
        case ("date", "version"), ("date", "dc"): record?.dates.append(text.trimmingWhitespace())
        case ("keyname", "author"): author.keyname = text
        case ("forenames", "author"): author.forenames = text
        case ("suffix", "author"): author.suffix = text
        case ("author", _): if let name = author.displayName { record?.authors.append(name) }
        case ("authors", _) where record?.format == .arXivRaw: record?.authors = AuthorList.split(text)
        case ("creator", _): if let name = AuthorList.invertingLastFirst(text) { record?.authors.append(name) }
        default: break
        }
    }

    /// `dc:title` → `title`: arXiv's formats are told apart by their element names alone.
    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}

/// What a record said, before it becomes an `OAIRecord`.
private struct OAIRecordFields {
    enum Format { case arXiv, arXivRaw, oaiDC }

    var identifier = ""
    var datestamp = ""
    var deleted = false
    var setSpecs: [String] = []
    var format: Format?
    var id: String?
    var title: String?
    var abstract: String?
    var authors: [String] = []
    var categories: [String] = []
    var created: String?
    var updated: String?
    /// arXivRaw version dates or oai_dc dates, oldest first.
    var dates: [String] = []

    func record() -> OAIRecord {
        var result = OAIRecord(identifier: identifier, datestamp: datestamp, deleted: deleted, setSpecs: setSpecs)
        guard !deleted else { return result }
        switch paper() {
        case .success(let paper): result.paper = paper
        case .failure(let problem): result.problem = problem.reason
        }
        return result
    }

    struct Problem: Error {
        var reason: String
    }

    private func paper() -> Result<Paper, Problem> {
        guard format != nil else { return .failure(Problem(reason: "no arXiv, arXivRaw or oai_dc metadata")) }
        let rawID = id ?? (identifier.hasPrefix("oai:arXiv.org:") ? String(identifier.dropFirst("oai:arXiv.org:".count)) : identifier)
        guard !rawID.isEmpty else { return .failure(Problem(reason: "no arXiv id")) }
        guard let arxivID = ArxivID(rawID) else { return .failure(Problem(reason: "not an arXiv id: \(rawID)")) }
        let title = (title ?? "").collapsingWhitespace()
        guard !title.isEmpty else { return .failure(Problem(reason: "no title")) }
        let (published, listed) = versionDates()
        return .success(
            Paper(
                id: arxivID.base,
                title: title,
                summary: (abstract ?? "").unwrappingParagraphs(),
                authors: authors,
                publishedAt: published,
                categories: categories,
                source: .arxiv,
                listingUpdatedAt: listed
            )
        )
    }

    /// The first version's timestamp and the newest version's day.
    private func versionDates() -> (published: String?, listed: String?) {
        switch format {
        case .arXiv:
            let first = created.flatMap(Self.timestamp)
            let newest = (updated ?? created).flatMap(Self.day)
            return (first, newest ?? first.map { String($0.prefix(10)) })
        case .arXivRaw, .oaiDC:
            let stamps = dates.compactMap(Self.timestamp)
            return (stamps.first, stamps.last.map { String($0.prefix(10)) })
        case nil:
            return (nil, nil)
        }
    }

    /// `2021-03-26` → `2021-03-26T00:00:00.000Z`; `Sat, 13 Feb 2021 07:22:28 GMT` →
    /// `2021-02-13T07:22:28.000Z`; a full ISO timestamp is kept.
    static func timestamp(_ text: String) -> String? {
        if let day = FeedDay(text.prefix(10)) {
            return text.count == 10 ? "\(day)T00:00:00.000Z" : ArxivAtomParser.isoTimestamp(text)
        }
        return HTTPDate(text)?.isoTimestamp
    }

    static func day(_ text: String) -> String? {
        timestamp(text).map { String($0.prefix(10)) }
    }
}

/// An `<author>` of the arXiv format.
private struct AuthorName {
    var keyname = ""
    var forenames = ""
    var suffix = ""

    /// "Forenames Keyname Suffix", as papers print names.
    var displayName: String? {
        let name = [forenames, keyname, suffix].map { $0.collapsingWhitespace() }.filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? nil : name
    }
}

/// Author strings of arXivRaw and oai_dc.
enum AuthorList {
    /// `D.V. Shetty, S.J. Yennello, and G.A. Souliotis` → three names. Splits on commas and
    /// " and " outside parentheses, and drops parenthesised affiliations
    /// (`S. D. Campos (Federal University of S\~ao Carlos)` → `S. D. Campos`).
    static func split(_ text: String) -> [String] {
        var names: [String] = []
        var current = ""
        var depth = 0
        func finish() {
            var name = current.collapsingWhitespace()
            if name.hasPrefix("and ") { name.removeFirst(4) }
            if !name.isEmpty { names.append(name) }
            current = ""
        }
        let flat = text.collapsingWhitespace()
        var index = flat.startIndex
        while index < flat.endIndex {
            let character = flat[index]
            if character == "(" {
                depth += 1
            } else if character == ")" {
                depth = max(0, depth - 1)
            } else if depth == 0 {
                if character == "," {
                    finish()
                } else if character == " ", flat[index...].hasPrefix(" and ") {
                    finish()
                    index = flat.index(index, offsetBy: 4)
                } else {
                    current.append(character)
                }
            }
            index = flat.index(after: index)
        }
        finish()
        return names
    }

    /// Dublin Core's `Last, First` → `First Last`; `Last, First, Jr.` → `First Last Jr.`; a
    /// name without a comma (a collaboration) stays as it is.
    static func invertingLastFirst(_ text: String) -> String? {
        let parts = text.collapsingWhitespace().split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        guard let last = parts.first else { return nil }
        guard parts.count > 1 else { return last }
        return ([parts[1], last] + parts.dropFirst(2)).joined(separator: " ")
    }
}
