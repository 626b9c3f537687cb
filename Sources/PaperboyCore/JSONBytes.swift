/// JSON read at the byte level, without building values: where each element of an array or
/// member of an object lies. Captured Hugging Face items are stored and served as the very
/// bytes the source sent (every field, its key order, its number spelling), and Paperboy's
/// few overlays are spliced into them, so nothing is lost to a decode-and-encode round trip.
///
/// The input is expected to be valid JSON (callers parse it first), but nothing here traps on
/// bad input: what cannot be read yields nil.
public enum JSONBytes {
    /// The byte ranges of the elements of the array that starts at `start` (after whitespace).
    public static func elements(ofArrayAt start: Int, in bytes: [UInt8]) -> [Range<Int>]? {
        var index = skipWhitespace(from: start, in: bytes)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        index = skipWhitespace(from: index + 1, in: bytes)
        var ranges: [Range<Int>] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { return ranges }
        while index < bytes.count {
            guard let end = endOfValue(at: index, in: bytes) else { return nil }
            ranges.append(index..<end)
            index = skipWhitespace(from: end, in: bytes)
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "]") { return ranges }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index = skipWhitespace(from: index + 1, in: bytes)
        }
        return nil
    }

    /// The byte range of the value of member `name` of the object that starts at `start`;
    /// nil when it has no such member (or is no object).
    public static func member(_ name: String, ofObjectAt start: Int, in bytes: [UInt8]) -> Range<Int>? {
        var found: Range<Int>?
        let key = Array(name.utf8)
        _ = forEachMember(ofObjectAt: start, in: bytes) { keyRange, valueRange in
            guard found == nil, bytes[keyRange].elementsEqual(key) else { return }
            found = valueRange
        }
        return found
    }

    /// `object` (one JSON object) with member `name` set to `value` (JSON text): replaced in
    /// place when present, otherwise appended as the last member. nil if `object` is no object.
    public static func settingMember(_ name: String, to value: some Collection<UInt8>, inObject object: [UInt8]) -> [UInt8]? {
        if let range = member(name, ofObjectAt: 0, in: object) {
            var result = object
            result.replaceSubrange(range, with: value)
            return result
        }
        guard let closing = forEachMember(ofObjectAt: 0, in: object, { _, _ in }) else { return nil }
        var isEmpty = true
        forEachMember(ofObjectAt: 0, in: object) { _, _ in isEmpty = false }
        var insertion: [UInt8] = isEmpty ? [] : [UInt8(ascii: ",")]
        insertion += [UInt8(ascii: "\"")] + Array(name.utf8) + [UInt8(ascii: "\""), UInt8(ascii: ":")]
        insertion += value
        var result = object
        result.insert(contentsOf: insertion, at: closing)
        return result
    }

    /// The text without whitespace outside strings: the same value, byte for byte otherwise.
    public static func minified(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                result.append(byte)
            } else if !isWhitespace(byte) {
                if byte == UInt8(ascii: "\"") { inString = true }
                result.append(byte)
            }
        }
        return result
    }

    // MARK: - Scanning

    /// Calls `body` with the key (without quotes) and value ranges of each member; returns
    /// the index of the closing brace, or nil when the object cannot be read.
    @discardableResult
    static func forEachMember(
        ofObjectAt start: Int,
        in bytes: [UInt8],
        _ body: (_ key: Range<Int>, _ value: Range<Int>) -> Void
    ) -> Int? {
        var index = skipWhitespace(from: start, in: bytes)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index = skipWhitespace(from: index + 1, in: bytes)
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return index }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\""), let keyEnd = endOfString(at: index, in: bytes) else { return nil }
            let key = (index + 1)..<(keyEnd - 1)
            index = skipWhitespace(from: keyEnd, in: bytes)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(from: index + 1, in: bytes)
            guard let valueEnd = endOfValue(at: valueStart, in: bytes) else { return nil }
            body(key, valueStart..<valueEnd)
            index = skipWhitespace(from: valueEnd, in: bytes)
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "}") { return index }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index = skipWhitespace(from: index + 1, in: bytes)
        }
        return nil
    }

    /// Whether `bytes` hold one whole JSON object or array (whitespace around it allowed): the
    /// brackets close and nothing follows. A structural scan that builds nothing, so a body
    /// cut off mid-way (or an HTML page) is told apart from a complete one at a fraction of the
    /// cost of parsing it; the values themselves are checked by whoever parses it.
    public static func isCompleteContainer(_ bytes: [UInt8]) -> Bool {
        let start = skipWhitespace(from: 0, in: bytes)
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") else { return false }
        guard let end = endOfValue(at: start, in: bytes) else { return false }
        return skipWhitespace(from: end, in: bytes) == bytes.count
    }

    /// The index just past the value that starts at `start`.
    static func endOfValue(at start: Int, in bytes: [UInt8]) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return endOfString(at: start, in: bytes)
        case UInt8(ascii: "{"):
            return forEachMember(ofObjectAt: start, in: bytes) { _, _ in }.map { $0 + 1 }
        case UInt8(ascii: "["):
            guard let elements = elements(ofArrayAt: start, in: bytes) else { return nil }
            let afterLast = elements.last.map { $0.upperBound } ?? start + 1
            return closingBracket(from: afterLast, in: bytes).map { $0 + 1 }
        default:
            // A number, true, false or null: runs to the next delimiter.
            var index = start
            while index < bytes.count, !isDelimiter(bytes[index]) { index += 1 }
            return index > start ? index : nil
        }
    }

    static func closingBracket(from start: Int, in bytes: [UInt8]) -> Int? {
        let index = skipWhitespace(from: start, in: bytes)
        return index < bytes.count && bytes[index] == UInt8(ascii: "]") ? index : nil
    }

    /// The index just past the closing quote of the string that starts at `start`.
    static func endOfString(at start: Int, in bytes: [UInt8]) -> Int? {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    static func skipWhitespace(from start: Int, in bytes: [UInt8]) -> Int {
        var index = start
        while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
        return index
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
    }
}
