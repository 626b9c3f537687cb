/// The one escaper for text placed in HTML or XML we write by hand (Atom feeds, search
/// highlights, confirmation emails); Mustache templates escape with their own.
public enum Markup {
    /// Escapes the five markup characters; drops the characters XML 1.0 forbids (most C0
    /// controls, U+FFFE, U+FFFF), which an HTML page would not show either.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r": continue
            case "\u{FFFE}", "\u{FFFF}": continue
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
