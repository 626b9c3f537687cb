import PaperboyCore
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
            output += matches ? "<mark>\(Markup.escape(word))</mark>" : Markup.escape(word)
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else {
                flushWord()
                output += Markup.escape(String(character))
            }
        }
        flushWord()
        return output
    }
}
