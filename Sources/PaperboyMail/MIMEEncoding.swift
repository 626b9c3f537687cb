import Foundation

/// The encodings a mail message needs: quoted-printable bodies (RFC 2045), encoded-words in
/// headers (RFC 2047), header folding and the date format (RFC 5322).
enum MIMEEncoding {
    /// Lines stay within RFC 5322's recommended 78 characters; encoded output within 76.
    static let maximumEncodedLineLength = 76

    // MARK: Quoted-printable

    /// Encodes UTF-8 text as quoted-printable with CRLF hard line breaks (any of CRLF, CR, LF in
    /// the input) and `=` soft breaks so that no line exceeds 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var line: [UInt8] = []
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == lf && previousWasCR {
                previousWasCR = false
                continue  // the second half of a CRLF
            }
            previousWasCR = byte == cr
            if byte == cr || byte == lf {
                appendQuotedPrintableLine(line, to: &output)
                output.append(contentsOf: [cr, lf])
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        appendQuotedPrintableLine(line, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// One input line (without its break), with `=` soft breaks so no output line passes 76.
    private static func appendQuotedPrintableLine(_ bytes: [UInt8], to output: inout [UInt8]) {
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal: Bool
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                // Trailing white space would be stripped in transit, so it is encoded.
                literal = !isLast
            case UInt8(ascii: "="): literal = false
            case 33...126: literal = true
            default: literal = false
            }
            let width = literal ? 1 : 3
            // Leave room for the "=" of a soft break, unless this is the line's last token.
            let limit = isLast ? maximumEncodedLineLength : maximumEncodedLineLength - 1
            if lineLength + width > limit {
                output.append(contentsOf: [UInt8(ascii: "="), cr, lf])
                lineLength = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(contentsOf: [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            }
            lineLength += width
        }
    }

    // MARK: RFC 2047 encoded-words

    /// Whether `text` can appear in a header as it is: printable ASCII and spaces, nothing that
    /// looks like an encoded-word.
    static func isPlainHeaderText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value == 0x20 || (0x21...0x7E).contains($0.value) }
            && !text.contains("=?")
    }

    /// `=?UTF-8?B?…?=` words, each holding whole Unicode scalars. The first word fits in
    /// `firstLineRoom` characters when possible, the others in a folded line (" " + word ≤ 76).
    static func encodedWords(_ text: String, firstLineRoom: Int) -> [String] {
        let overhead = "=?UTF-8?B??=".count
        func encodedLength(_ byteCount: Int) -> Int { overhead + (byteCount + 2) / 3 * 4 }

        var words: [String] = []
        var current: [UInt8] = []
        var room = max(firstLineRoom, encodedLength(4))  // always room for one scalar
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if !current.isEmpty && encodedLength(current.count + bytes.count) > room {
                words.append(encodedWord(current))
                current = []
                room = maximumEncodedLineLength - 1
            }
            current += bytes
        }
        if !current.isEmpty || words.isEmpty { words.append(encodedWord(current)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    // MARK: Folding

    /// Joins `name: ` and the tokens with single spaces, starting a new (space-indented) line
    /// before a token that would pass 76 characters (even the first: `Name:` may stand alone).
    /// Tokens are never split, so a single token longer than a line stays long (up to 998).
    static func foldedHeader(name: String, tokens: [String]) -> String {
        var output = "\(name):"
        var lineLength = output.count
        for token in tokens {
            if lineLength + 1 + token.count > maximumEncodedLineLength {
                output += "\r\n"
                lineLength = 0
            }
            output += " " + token
            lineLength += 1 + token.count
        }
        return output
    }

    // MARK: Date

    /// `Tue, 01 Jul 2025 08:00:00 +0000` (RFC 5322 §3.3), always in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) "
            + "\(parts.year ?? 1970) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
