/// How hyphenated compounds such as "gpt-4", "covid-19" or "state-of-the-art" are indexed.
public enum CompoundMode: String, Sendable, CaseIterable {
    /// Only the parts: "gpt", "4".
    case parts
    /// The parts, plus the joined form when a part contains a digit: "gpt", "4", "gpt4".
    /// Model names and gene symbols ("il-6", "tnf-α") are then findable as one word.
    case partsAndJoinedWithDigits
    /// The parts, plus the joined form of every compound.
    case partsAndJoined
}

/// Splits text into lowercase, optionally accent-folded words, working on Unicode scalars.
///
/// A word is a maximal run of letters and digits ("3d", "resnet50", "naïve"). Letters and digits
/// stay together because in paper titles they usually name one thing. Everything else separates
/// words, so query syntax (quotes, `:`, `*`, brackets) and emoji simply disappear.
struct Tokenizer: Sendable {
    var foldAccents: Bool
    var compounds: CompoundMode
    /// Longer runs are noise (base64, DNA strings, pasted garbage) and are dropped.
    static let maximumWordBytes = 48

    func tokens(in text: String, _ emit: (String) -> Void) {
        forEachToken(in: text) { emit(String(decoding: $0, as: UTF8.self)) }
    }

    /// Calls `emit` with the UTF-8 bytes of each word, valid only during the call. The index
    /// build uses this to look words up without creating a String for each occurrence.
    func forEachToken(in text: String, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        var text = text
        text.makeContiguousUTF8()  // no-op for native strings; bridged ones get copied once
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * Tokenizer.bufferBytes) { buffers in
                var scanner = Scanner(
                    word: WordBuffer(storage: buffers.baseAddress!),
                    compound: WordBuffer(storage: buffers.baseAddress! + Tokenizer.bufferBytes),
                    compounds: compounds
                )
                scanner.scan(utf8, tokenizer: self, emit)
            }
        }
    }

    static let bufferBytes = 64

    /// A word being collected; bytes past the buffer are counted but not kept, since such
    /// a word is dropped anyway.
    struct WordBuffer {
        let storage: UnsafeMutablePointer<UInt8>
        var count = 0
        var hasDigit = false

        @inline(__always)
        mutating func append(_ byte: UInt8) {
            if count < Tokenizer.bufferBytes { storage[count] = byte }
            count += 1
        }

        mutating func append(_ bytes: String.UTF8View) {
            for byte in bytes { append(byte) }
        }

        var isEmpty: Bool { count == 0 }
        var isKept: Bool { count <= Tokenizer.maximumWordBytes }
        var bytes: UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: storage, count: min(count, Tokenizer.bufferBytes))
        }
    }

    /// The word-splitting state machine over one text's UTF-8 bytes.
    struct Scanner {
        var word: WordBuffer
        var compound: WordBuffer  // the parts of the current hyphenated compound, joined
        var compoundParts = 0
        let compounds: CompoundMode

        mutating func finishWord(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
            guard !word.isEmpty else { return }
            if word.isKept {
                emit(word.bytes)
                for i in 0..<word.count { compound.append(word.storage[i]) }
                compound.hasDigit = compound.hasDigit || word.hasDigit
                compoundParts += 1
            }
            word.count = 0
            word.hasDigit = false
        }

        mutating func finishCompound(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
            if compoundParts > 1 && compound.isKept {
                let wanted =
                    compounds == .partsAndJoined || (compounds == .partsAndJoinedWithDigits && compound.hasDigit)
                if wanted { emit(compound.bytes) }
            }
            compound.count = 0
            compound.hasDigit = false
            compoundParts = 0
        }

        mutating func scan(
            _ utf8: UnsafeBufferPointer<UInt8>,
            tokenizer: Tokenizer,
            _ emit: (UnsafeBufferPointer<UInt8>) -> Void
        ) {
            var i = 0
            while i < utf8.count {
                let c = utf8[i]
                if c < 0x80 {
                    i += 1
                    switch c {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"):
                        word.append(c)
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                        word.append(c | 0x20)
                    case UInt8(ascii: "0")...UInt8(ascii: "9"):
                        word.append(c)
                        word.hasDigit = true
                    case UInt8(ascii: "-") where !word.isEmpty:
                        finishWord(emit)  // a hyphen right after a word may continue a compound
                    default:
                        finishWord(emit)
                        finishCompound(emit)
                    }
                    continue
                }
                let (scalar, length) = Tokenizer.decode(utf8, at: i)
                i += length
                if Tokenizer.isHyphen(scalar.value) && !word.isEmpty {
                    finishWord(emit)
                } else if let piece = tokenizer.wordPiece(scalar) {
                    word.append(piece.utf8)
                    if scalar.properties.numericType != nil { word.hasDigit = true }
                } else {
                    finishWord(emit)
                    finishCompound(emit)
                }
            }
            finishWord(emit)
            finishCompound(emit)
        }
    }

    /// Decodes the multi-byte scalar starting at `i` (Swift strings hold valid UTF-8).
    @inline(__always)
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(utf8[i])
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        var value = lead & (0x7F >> UInt32(length))
        for j in 1..<length { value = (value << 6) | (UInt32(utf8[i + j]) & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    static func isHyphen(_ v: UInt32) -> Bool { v == 0x2010 || v == 0x2011 || v == 0x2012 || v == 0x2013 }

    /// The lowercased (and folded) text a non-ASCII scalar contributes to a word, or nil when
    /// the scalar separates words.
    func wordPiece(_ scalar: Unicode.Scalar) -> String? {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            // Combining accents belong to the letter before them; folding removes them.
            return foldAccents ? "" : String(scalar)
        case .decimalNumber, .letterNumber, .otherNumber:
            return properties.numericType == .decimal ? String(scalar) : nil
        default:
            guard properties.isAlphabetic else { return nil }
        }
        let lower = properties.lowercaseMapping
        return foldAccents ? AccentFolding.fold(lower) : lower
    }
}
