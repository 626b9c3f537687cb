import Foundation

/// The text clean-up and word splitting of the reference's `BertNormalizer` and
/// `BertPreTokenizer` for an uncased model (`clean_text`, `handle_chinese_chars`,
/// `strip_accents` and `lowercase` all on). Everything works on Unicode scalars: the reference
/// does, and grapheme clusters would glue combining marks and emoji sequences together.
enum BertNormalizer {
    /// The normalised words of `text`, ready for WordPiece.
    static func words(of text: ArraySlice<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        let cleaned = isolateCJKIdeographs(clean(text))
        let lowered = lowercase(stripAccents(cleaned))
        return splitWords(lowered)
    }

    /// Drops NUL, U+FFFD and control/format/unassigned scalars; every kind of whitespace
    /// becomes a plain space.
    static func clean(_ text: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        for scalar in text where !(scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar)) {
            output.append(isWhitespace(scalar) ? " " : scalar)
        }
        return output
    }

    /// Surrounds every CJK ideograph with spaces so that each becomes a word of its own.
    static func isolateCJKIdeographs(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: isCJKIdeograph) else { return text }
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count * 2)
        for scalar in text {
            if isCJKIdeograph(scalar) {
                output.append(contentsOf: [" ", scalar, " "])
            } else {
                output.append(scalar)
            }
        }
        return output
    }

    /// Canonical decomposition (NFD) with the nonspacing marks (accents) removed.
    static func stripAccents(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // ASCII is already in NFD and has no marks: skip the decomposition for the common case.
        guard text.contains(where: { !$0.isASCII }) else { return text }
        var string = ""
        string.unicodeScalars.append(contentsOf: text)
        return string.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .nonspacingMark
        }
    }

    /// Full Unicode lowercase mapping, scalar by scalar (one scalar may map to several).
    static func lowercase(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        for scalar in text {
            if scalar.isASCII {
                let value = scalar.value
                output.append((65...90).contains(value) ? Unicode.Scalar(UInt8(value + 32)) : scalar)
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return output
    }

    /// Splits at whitespace (dropped) and punctuation (each mark its own word).
    static func splitWords(_ text: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text {
            if isWhitespace(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r", " ": return true
        default: return !scalar.isASCII && scalar.properties.isWhitespace
        }
    }

    /// Any "C*" general category (control, format, surrogate, private use, unassigned), except
    /// tab, newline and carriage return, which count as whitespace.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default: break
        }
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII symbols such as `$`, `+`, `^` count as punctuation, as in BERT; beyond ASCII only
    /// the Unicode "P*" categories do.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (33...47).contains(value) || (58...64).contains(value)
                || (91...96).contains(value) || (123...126).contains(value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks (not Hangul, kana or CJK punctuation), as in BERT.
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
