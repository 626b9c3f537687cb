import Foundation

/// Removes diacritics so "naïve", "Schrödinger" and "Gödel" match their ASCII spellings,
/// which is how most people type them into a search box.
enum AccentFolding {
    /// Letters that canonical decomposition does not split into base letter + accent.
    static let specialLetters: [Unicode.Scalar: String] = [
        "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
        "ı": "i", "ĸ": "k", "ŋ": "n", "ſ": "s",
    ]

    static func fold(_ lowercased: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in lowercased.decomposedStringWithCanonicalMapping.unicodeScalars {
            if let replacement = specialLetters[scalar] {
                out.append(contentsOf: replacement.unicodeScalars)
                continue
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
