/// An arXiv identifier: new style `2405.15738` (optionally `v2`) or old style `hep-th/9901001`.
public struct ArxivID: Hashable, Sendable, CustomStringConvertible {
    /// The id without version, as used for storage and URLs.
    public let base: String
    public let version: Int?

    public var description: String { base }

    /// Accepts a bare id or an arXiv abs/pdf URL, with or without a version or `.pdf` suffix.
    public init?(_ input: String) {
        var text = input.trimmingWhitespace()
        for prefix in ["https://", "http://"] where text.hasPrefix(prefix) {
            text.removeFirst(prefix.count)
        }
        for host in ["www.arxiv.org/", "arxiv.org/", "export.arxiv.org/"] where text.hasPrefix(host) {
            text.removeFirst(host.count)
            for kind in ["abs/", "pdf/", "html/"] where text.hasPrefix(kind) {
                text.removeFirst(kind.count)
            }
        }
        if text.lowercased().hasPrefix("arxiv:") { text.removeFirst(6) }
        if text.hasSuffix(".pdf") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        guard let (base, version) = ArxivID.split(text) else { return nil }
        self.base = base
        self.version = version
    }

    private static func split(_ text: String) -> (String, Int?)? {
        var base = Substring(text)
        var version: Int?
        if let v = text.lastIndex(of: "v"), v != text.startIndex {
            let digits = text[text.index(after: v)...]
            if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits) {
                base = text[..<v]
                version = number
            }
        }
        guard isNewStyle(base) || isOldStyle(base) else { return nil }
        return (String(base), version)
    }

    /// `YYMM.NNNN` (2007-2014) or `YYMM.NNNNN` (2015 on).
    static func isNewStyle(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, (4...5).contains(parts[1].count),
            parts[0].allSatisfy(\.isASCIIDigit), parts[1].allSatisfy(\.isASCIIDigit),
            let month = Int(parts[0].suffix(2)), (1...12).contains(month)
        else { return false }
        return true
    }

    /// `archive(.SUBJ)/YYMMNNN`, e.g. `hep-th/9901001`, `math.GT/0309136`.
    static func isOldStyle(_ text: Substring) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 7, parts[1].allSatisfy(\.isASCIIDigit) else {
            return false
        }
        let archive = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(archive.count), let name = archive.first, !name.isEmpty,
            name.allSatisfy({ $0.isASCIILowercaseLetter || $0 == "-" })
        else { return false }
        if archive.count == 2 {
            return archive[1].count == 2 && archive[1].allSatisfy(\.isASCIIUppercaseLetter)
        }
        return true
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILowercaseLetter: Bool { isASCII && isLowercase }
    var isASCIIUppercaseLetter: Bool { isASCII && isUppercase }
}
