extension String {
    /// Removes leading and trailing spaces, tabs and line breaks.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isWhitespaceFast }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isWhitespaceFast })!
        return String(scalars[first...last])
    }

    /// Collapses every run of whitespace (arXiv's hard line breaks included) into one space.
    public func collapsingWhitespace() -> String {
        rewritingWhitespace { _ in " " }
    }

    /// Joins arXiv's hard-wrapped lines but keeps blank-line paragraph breaks.
    public func unwrappingParagraphs() -> String {
        rewritingWhitespace { newlines in newlines >= 2 ? "\n\n" : " " }
    }

    /// Drops leading and trailing whitespace and replaces each inner run by `separator(n)`,
    /// where n counts the line feeds in the run. Works on bytes: this runs for every title and
    /// abstract we import.
    private func rewritingWhitespace(_ separator: (Int) -> StaticString) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var inWhitespace = false
        var newlines = 0
        for scalar in unicodeScalars {
            if scalar.isWhitespaceFast {
                if scalar.value == 0x0A { newlines += 1 }
                inWhitespace = true
                continue
            }
            if inWhitespace && !out.isEmpty {
                let text = separator(newlines)
                out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
            }
            inWhitespace = false
            newlines = 0
            if scalar.value < 0x80 {
                out.append(UInt8(scalar.value))
            } else {
                out.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Unicode.Scalar {
    /// `properties.isWhitespace`, without the Unicode table lookup for ASCII (most of our text):
    /// the lookup was a fifth of the import time.
    @inline(__always) var isWhitespaceFast: Bool {
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return properties.isWhitespace
    }
}
