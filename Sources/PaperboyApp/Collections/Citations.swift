import Foundation
import PaperboyCore

/// Papers as references for reference managers and LaTeX: BibTeX, RIS and CSL-JSON. Each
/// paper is cited as the arXiv preprint it is: title, authors in order, year, arXiv id
/// (`eprint`/`archivePrefix`/`primaryClass`), the abs URL and arXiv's DataCite DOI
/// (10.48550/arXiv.ID). A note (a collection's note on the paper) goes along when given.
public enum Citations {
    public struct Entry: Sendable {
        public var paper: Paper
        public var note: String?

        public init(_ paper: Paper, note: String? = nil) {
            self.paper = paper
            self.note = note
        }
    }

    public enum Format: String, CaseIterable, Sendable {
        case bibtex = "bib"
        case ris
        case cslJSON = "csl.json"

        public var contentType: String {
            switch self {
            case .bibtex: "application/x-bibtex; charset=utf-8"
            case .ris: "application/x-research-info-systems; charset=utf-8"
            case .cslJSON: "application/vnd.citationstyles.csl+json; charset=utf-8"
            }
        }

        public var label: String {
            switch self {
            case .bibtex: "BibTeX"
            case .ris: "RIS"
            case .cslJSON: "CSL-JSON"
            }
        }
    }

    public static func render(_ entries: [Entry], as format: Format) -> String {
        switch format {
        case .bibtex: bibtex(entries)
        case .ris: ris(entries)
        case .cslJSON: cslJSON(entries)
        }
    }

    // MARK: - BibTeX

    public static func bibtex(_ entries: [Entry]) -> String {
        var used: [String: Int] = [:]
        return entries.map { entry in
            let paper = entry.paper
            var key = citationKey(paper)
            used[key, default: 0] += 1
            if let count = used[key], count > 1 { key += String(UnicodeScalar(UInt8(ascii: "a") + UInt8(min(count - 2, 25)))) }
            var fields: [(String, String)] = [
                ("title", "{\(bibtexEscape(paper.title.collapsingWhitespace()))}"),
                ("author", paper.authors.map { bibtexEscape(bibtexName($0)) }.joined(separator: " and ")),
            ]
            if let year = year(paper) { fields.append(("year", String(year))) }
            if let month = month(paper) { fields.append(("month", month)) }
            fields += [
                ("eprint", paper.id), ("archivePrefix", "arXiv"),
            ]
            if let primary = paper.categories.first { fields.append(("primaryClass", bibtexEscape(primary))) }
            fields += [("doi", doi(paper)), ("url", paper.arxivAbsURL)]
            if let note = entry.note, !note.isEmpty { fields.append(("note", bibtexEscape(note.collapsingWhitespace()))) }
            let body = fields.filter { !$0.1.isEmpty }.map { "  \($0.0) = {\($0.1)}" }.joined(separator: ",\n")
            return "@misc{\(key),\n\(body)\n}\n"
        }.joined(separator: "\n")
    }

    /// `vaswani2017attention`: the first author's family name, the year and the first
    /// significant word of the title, in ASCII letters and digits.
    public static func citationKey(_ paper: Paper) -> String {
        let family = paper.authors.first.map { splitName($0).family } ?? "anonymous"
        let skipped: Set<String> = ["a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward"]
        let word =
            paper.title.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            .map { ascii(String($0)) }.first { !$0.isEmpty && !skipped.contains($0) } ?? "paper"
        let name = ascii(family)
        return (name.isEmpty ? "anonymous" : name) + (year(paper).map(String.init) ?? "") + word
    }

    /// "Family, Given" for BibTeX (one family name: the last word of the name as written).
    static func bibtexName(_ name: String) -> String {
        let parts = splitName(name)
        return parts.given.isEmpty ? parts.family : "\(parts.family), \(parts.given)"
    }

    /// Characters special to (La)TeX, escaped; braces kept balanced.
    static func bibtexEscape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\textbackslash{}"
            case "{": result += "\\{"
            case "}": result += "\\}"
            case "&", "%", "$", "#", "_": result += "\\\(character)"
            case "~": result += "\\textasciitilde{}"
            case "^": result += "\\textasciicircum{}"
            default: result.append(character)
            }
        }
        return result
    }

    // MARK: - RIS

    public static func ris(_ entries: [Entry]) -> String {
        entries.map { entry in
            let paper = entry.paper
            var lines = ["TY  - UNPB"]
            lines += paper.authors.map { "AU  - \(risName($0))" }
            lines.append("TI  - \(oneLine(paper.title))")
            if let year = year(paper) { lines.append("PY  - \(year)") }
            if let published = paper.publishedDay {
                let (year, month, day) = published.components
                lines.append(String(format: "DA  - %04d/%02d/%02d", year, month, day))
            }
            if !paper.summary.isEmpty { lines.append("AB  - \(oneLine(paper.summary))") }
            lines += [
                "PB  - arXiv", "AN  - arXiv:\(paper.id)", "DO  - \(doi(paper))", "UR  - \(paper.arxivAbsURL)",
                "L1  - \(paper.arxivPDFURL)",
            ]
            lines += paper.categories.map { "KW  - \($0)" }
            if let note = entry.note, !note.isEmpty { lines.append("N1  - \(oneLine(note))") }
            lines.append("ER  - ")
            return lines.joined(separator: "\r\n") + "\r\n"
        }.joined(separator: "\r\n")
    }

    static func risName(_ name: String) -> String {
        let parts = splitName(name)
        return parts.given.isEmpty ? oneLine(parts.family) : oneLine("\(parts.family), \(parts.given)")
    }

    // MARK: - CSL-JSON

    public static func cslJSON(_ entries: [Entry]) -> String {
        let items: [[String: Any]] = entries.map { entry in
            let paper = entry.paper
            var item: [String: Any] = [
                "id": "arXiv:\(paper.id)",
                "type": "article",
                "title": paper.title.collapsingWhitespace(),
                "author": paper.authors.map { name -> [String: String] in
                    let parts = splitName(name)
                    return parts.given.isEmpty ? ["literal": parts.family] : ["family": parts.family, "given": parts.given]
                },
                "publisher": "arXiv",
                "number": paper.id,
                "DOI": doi(paper),
                "URL": paper.arxivAbsURL,
                "citation-key": citationKey(paper),
            ]
            if let published = paper.publishedDay {
                let (year, month, day) = published.components
                item["issued"] = ["date-parts": [[year, month, day]]]
            }
            if !paper.summary.isEmpty { item["abstract"] = paper.summary }
            if !paper.categories.isEmpty { item["keyword"] = paper.categories.joined(separator: ", ") }
            if let note = entry.note, !note.isEmpty { item["note"] = note }
            return item
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - Shared

    /// Family name and given names: the last word is the family name ("Ashish Vaswani" →
    /// Vaswani, Ashish); a name already written "Family, Given" is kept so.
    static func splitName(_ name: String) -> (family: String, given: String) {
        let trimmed = name.collapsingWhitespace()
        if let comma = trimmed.firstIndex(of: ",") {
            return (
                String(trimmed[..<comma]).trimmingCharacters(in: .whitespaces),
                String(trimmed[trimmed.index(after: comma)...]).trimmingCharacters(in: .whitespaces)
            )
        }
        guard let space = trimmed.lastIndex(of: " ") else { return (trimmed, "") }
        return (String(trimmed[trimmed.index(after: space)...]), String(trimmed[..<space]))
    }

    static func doi(_ paper: Paper) -> String { "10.48550/arXiv.\(paper.id)" }

    static func year(_ paper: Paper) -> Int? {
        if let day = paper.publishedDay { return day.components.year }
        return ArxivID(paper.id).flatMap { id in Int(id.base.prefix(2)).map { 2000 + $0 } }
    }

    /// BibTeX's month abbreviation ("jun").
    static func month(_ paper: Paper) -> String? {
        guard let day = paper.publishedDay else { return nil }
        let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return names[day.components.month - 1]
    }

    static func oneLine(_ text: String) -> String { text.collapsingWhitespace() }

    /// Letters and digits only, accents removed, lowercased ("Müller" → "muller").
    static func ascii(_ text: String) -> String {
        let folded = text.applyingTransform(.stripDiacritics, reverse: false) ?? text
        return String(folded.lowercased().unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }
}
