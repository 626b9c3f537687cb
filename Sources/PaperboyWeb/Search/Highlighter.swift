import PaperboySearch

/// Marks query terms in text for the search results page. The output is HTML: every
/// character of `text` is escaped here, and only our own `<mark>` tags are added, which is
/// why the template may print it unescaped.
struct Highlighter {
    let analyzer: Analyzer
    let terms: Set<String>

    func html(_ text: String) -> String {
        var output = ""
        var word = ""
        func flushWord() {
            guard !word.isEmpty else { return }
            let matches = !terms.isEmpty && analyzer.terms(word).contains { terms.contains($0) }
            output += matches ? "<mark>\(HTML.escape(word))</mark>" : HTML.escape(word)
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else {
                flushWord()
                output += HTML.escape(String(character))
            }
        }
        flushWord()
        return output
    }

    /// The first `length` characters of `text`, cut at a word boundary, with an ellipsis.
    static func snippet(_ text: String, length: Int = 320) -> String {
        guard text.count > length else { return text }
        let cut = text.prefix(length)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + " …"
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
