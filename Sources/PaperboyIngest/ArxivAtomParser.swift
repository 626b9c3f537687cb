import Foundation
import PaperboyCore

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the Atom feed of the arXiv API (`export.arxiv.org/api/query?id_list=…`).
///
/// arXiv reports a bad query as a feed with one entry titled "Error" whose id points at
/// `arxiv.org/api/errors`; an unknown but well-formed id gives a feed with no entries.
public struct ArxivAtomParser: Sendable {
    public init() {}

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAtom(String)
        case apiError(String)

        public var description: String {
            switch self {
            case .notAtom(let reason): return "arXiv answered with something that is not an Atom feed (\(reason))"
            case .apiError(let message): return "arXiv refused the query: \(message)"
            }
        }
    }

    public func parse(_ data: Data) throws -> [Paper] {
        let delegate = AtomDelegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        // A cut-off answer can parse without error on Linux; a feed must also be closed.
        guard parser.parse(), delegate.sawFeed, delegate.closedFeed else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "incomplete or missing <feed> element"
            throw ParseError.notAtom(reason)
        }
        if let error = delegate.entries.first(where: { $0.id.contains("arxiv.org/api/errors") }) {
            throw ParseError.apiError(error.summary.collapsingWhitespace())
        }
        return delegate.entries.compactMap { entry in
            guard let id = ArxivID(entry.id), !entry.title.collapsingWhitespace().isEmpty else { return nil }
            var categories = entry.categories
            if let primary = entry.primaryCategory {
                categories.removeAll { $0 == primary }
                categories.insert(primary, at: 0)
            }
            return Paper(
                id: id.base,
                title: entry.title.collapsingWhitespace(),
                summary: entry.summary.unwrappingParagraphs(),
                authors: entry.authors.map { $0.collapsingWhitespace() }.filter { !$0.isEmpty },
                publishedAt: entry.published.isEmpty ? nil : Self.isoTimestamp(entry.published),
                categories: categories,
                source: .arxiv
            )
        }
    }

    /// arXiv writes `2024-05-24T17:34:15Z`; the store keeps milliseconds like Hugging Face.
    static func isoTimestamp(_ text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        guard FeedDay(trimmed.prefix(10)) != nil else { return nil }
        if trimmed.count == 20, trimmed.hasSuffix("Z") { return String(trimmed.dropLast()) + ".000Z" }
        return trimmed
    }
}

private final class AtomDelegate: NSObject, XMLParserDelegate {
    struct Entry {
        var id = "", title = "", summary = "", published = ""
        var authors: [String] = []
        var categories: [String] = []
        var primaryCategory: String?
    }

    var entries: [Entry] = []
    var sawFeed = false
    var closedFeed = false
    private var current: Entry?
    private var path: [String] = []
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:])
    {
        path.append(name)
        text = ""
        switch name {
        case "feed": sawFeed = true
        case "entry": current = Entry()
        case "category": if let term = attributes["term"] { current?.categories.append(term) }
        case "arxiv:primary_category", "primary_category": current?.primaryCategory = attributes["term"]
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        defer { path.removeLast() }
        if name == "feed" { closedFeed = true }
        guard current != nil else { return }
        let parent = path.dropLast().last
        switch (name, parent) {
        case ("id", "entry"): current?.id = text.trimmingWhitespace()
        case ("title", "entry"): current?.title = text
        case ("summary", "entry"): current?.summary = text
        case ("published", "entry"): current?.published = text
        case ("name", "author"): current?.authors.append(text)
        case ("entry", _):
            if let entry = current { entries.append(entry) }
            current = nil
        default: break
        }
    }
}
