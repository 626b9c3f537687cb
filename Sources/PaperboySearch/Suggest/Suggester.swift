import Foundation

/// Title autocompletion: the papers whose titles start with what the user has typed so far.
///
/// Titles are normalised (lowercase, accents folded, punctuation dropped, single spaces) and
/// kept sorted, so the matches for a prefix are one contiguous range found by binary search.
///
/// At a million papers this is a server's largest structure after the indexes, so it holds
/// only what ranking needs: each normalised title's UTF-8 bytes in one shared buffer (a
/// replaced title's old bytes are reclaimed once they are half of it), and per paper its id
/// (short enough to need no allocation of its own), where its bytes are and its weight. The
/// titles themselves are shown from the store.
public struct Suggester: Sendable {
    public struct Suggestion: Sendable, Hashable {
        public var id: String
        public var weight: Float
    }

    private struct Entry: Sendable {
        var id: String
        var key: KeyRange
        var weight: Float
    }

    /// Where a normalised title's bytes are in `keyBytes`.
    private struct KeyRange: Sendable, Hashable {
        var start: UInt32
        var length: UInt16

        var end: Int { Int(start) + Int(length) }
    }

    private var entries: [Entry] = []  // sorted by key bytes, then id
    private var keyBytes: [UInt8] = []
    /// Bytes in `keyBytes` no entry points at any more.
    private var unusedBytes = 0
    private var keys: [String: KeyRange] = [:]  // id -> key, for replacing
    private let tokenizer = Tokenizer(foldAccents: true, compounds: .parts)
    /// Ranges longer than this (one- or two-letter prefixes) are cut; the top is still good.
    static let maximumScannedMatches = 20_000
    /// Longer normalised titles are cut to this many bytes (at a character boundary).
    static let maximumKeyBytes = 1024

    /// `weight` orders suggestions with the same prefix (for example upvotes); higher first.
    public init(titles: [(id: String, title: String, weight: Float)] = []) {
        upsert(contentsOf: titles)
    }

    public var count: Int { entries.count }

    public mutating func upsert(id: String, title: String, weight: Float = 0) {
        remove(id: id)
        let entry = Entry(id: id, key: append(normalise(title)), weight: weight)
        entries.insert(entry, at: lowerBound(entry.key, id: id))
        keys[id] = entry.key
    }

    /// Adds or replaces many titles at once: one filter and one sort instead of an array
    /// insertion per title (which made loading 80k papers quadratic).
    public mutating func upsert(contentsOf items: [(id: String, title: String, weight: Float)]) {
        guard items.count > 16 else {
            for item in items { upsert(id: item.id, title: item.title, weight: item.weight) }
            return
        }
        var incoming: [String: Entry] = [:]
        incoming.reserveCapacity(items.count)
        for item in items {
            if let replaced = incoming[item.id] { unusedBytes += Int(replaced.key.length) }
            incoming[item.id] = Entry(id: item.id, key: append(normalise(item.title)), weight: item.weight)
        }
        entries.removeAll { entry in
            guard incoming[entry.id] != nil else { return false }
            unusedBytes += Int(entry.key.length)
            return true
        }
        entries.append(contentsOf: incoming.values)
        keyBytes.withUnsafeBufferPointer { bytes in
            entries.sort { Self.precedes($0.key, $0.id, $1.key, $1.id, in: bytes) }
        }
        keys.reserveCapacity(keys.count + incoming.count)
        for (id, entry) in incoming { keys[id] = entry.key }
        compactIfWasteful()
    }

    public mutating func remove(id: String) {
        guard let key = keys.removeValue(forKey: id) else { return }
        let position = lowerBound(key, id: id)
        if position < entries.count && entries[position].id == id {
            entries.remove(at: position)
            unusedBytes += Int(key.length)
            compactIfWasteful()
        }
    }

    /// Up to `limit` papers whose titles start with `prefix`, heaviest first, then by title.
    public func suggest(_ prefix: String, limit: Int = 10) -> [Suggestion] {
        let key = Array(normalise(prefix).utf8.prefix(Self.maximumKeyBytes))
        guard !key.isEmpty, limit > 0 else { return [] }
        return keyBytes.withUnsafeBufferPointer { bytes in
            var matches: [Entry] = []
            var position = key.withUnsafeBufferPointer { lowerBound(bytes, $0, id: "") }
            while position < entries.count && matches.count < Suggester.maximumScannedMatches
                && Self.hasPrefix(entries[position].key, key, in: bytes)
            {
                matches.append(entries[position])
                position += 1
            }
            // Heaviest first; equal weights keep the sorted (title, id) order.
            let best = matches.enumerated().sorted { ($0.element.weight, $1.offset) > ($1.element.weight, $0.offset) }
            return best.prefix(limit).map { Suggestion(id: $0.element.id, weight: $0.element.weight) }
        }
    }

    private func normalise(_ text: String) -> String {
        var words: [String] = []
        tokenizer.tokens(in: text) { words.append($0) }
        return words.joined(separator: " ")
    }

    /// Appends a normalised title's bytes (cut at `maximumKeyBytes`, on a character boundary).
    private mutating func append(_ key: String) -> KeyRange {
        var utf8 = key.utf8.prefix(Self.maximumKeyBytes)
        if utf8.count < key.utf8.count {
            while let last = utf8.last, last & 0xC0 == 0x80 { utf8 = utf8.dropLast() }  // a continuation byte
            if let last = utf8.last, last >= 0xC0 { utf8 = utf8.dropLast() }  // a lead byte left alone
        }
        precondition(keyBytes.count + utf8.count <= Int(UInt32.max), "title suggestions over 4 GB")
        let range = KeyRange(start: UInt32(keyBytes.count), length: UInt16(utf8.count))
        keyBytes.append(contentsOf: utf8)
        return range
    }

    /// Rewrites `keyBytes` without the bytes of replaced and removed titles once they are
    /// half of it.
    private mutating func compactIfWasteful() {
        guard unusedBytes > 4096, unusedBytes * 2 > keyBytes.count else { return }
        var compacted: [UInt8] = []
        compacted.reserveCapacity(keyBytes.count - unusedBytes)
        for index in entries.indices {
            let key = entries[index].key
            entries[index].key.start = UInt32(compacted.count)
            compacted.append(contentsOf: keyBytes[Int(key.start)..<key.end])
            keys[entries[index].id] = entries[index].key
        }
        keyBytes = compacted
        unusedBytes = 0
    }

    /// First position whose (key, id) is not less than the given pair.
    private func lowerBound(_ key: KeyRange, id: String) -> Int {
        keyBytes.withUnsafeBufferPointer { bytes in
            lowerBound(bytes, UnsafeBufferPointer(rebasing: bytes[Int(key.start)..<key.end]), id: id)
        }
    }

    private func lowerBound(_ bytes: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>, id: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let order = Self.compare(Self.slice(entries[mid].key, in: bytes), key)
            if order < 0 || (order == 0 && entries[mid].id < id) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func slice(_ key: KeyRange, in bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(key.start)..<key.end])
    }

    /// Byte order of UTF-8 is the order of Unicode scalars.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let order = memcmp(x, y, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    private static func precedes(_ a: KeyRange, _ aID: String, _ b: KeyRange, _ bID: String, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let order = compare(slice(a, in: bytes), slice(b, in: bytes))
        return order < 0 || (order == 0 && aID < bID)
    }

    private static func hasPrefix(_ key: KeyRange, _ prefix: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(key.length) >= prefix.count else { return false }
        return prefix.withUnsafeBufferPointer { compare(UnsafeBufferPointer(rebasing: slice(key, in: bytes).prefix($0.count)), $0) == 0 }
    }
}

extension Suggester {
    /// Writes the suggestions in their sorted order: the normalised titles' bytes (without
    /// unused ones), their lengths, the ids and the weights (`IndexFile`).
    public func write(to file: IndexFileWriter) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(keyBytes.count - unusedBytes)
        for entry in entries { bytes.append(contentsOf: keyBytes[Int(entry.key.start)..<entry.key.end]) }
        file.write(bytes)
        file.write(entries.map(\.key.length))
        file.write(strings: entries.lazy.map(\.id), count: entries.count)
        file.write(entries.map(\.weight))
    }

    /// Reads what `write(to:)` wrote, checking that it fits together and is in order.
    public init(reading file: IndexFileReader) throws {
        self.init()
        let bytes: [UInt8] = try file.readArray()
        let lengths: [UInt16] = try file.readArray()
        let ids = try file.readStrings()
        let weights: [Float] = try file.readArray()
        guard ids.count == lengths.count, weights.count == lengths.count,
            lengths.reduce(0, { $0 + Int($1) }) == bytes.count, bytes.count <= Int(UInt32.max)
        else {
            throw IndexFileError("the title suggestions' arrays differ in length")
        }
        keyBytes = bytes
        entries.reserveCapacity(ids.count)
        keys.reserveCapacity(ids.count)
        var start = 0
        for i in ids.indices {
            let entry = Entry(id: ids[i], key: KeyRange(start: UInt32(start), length: lengths[i]), weight: weights[i])
            start += Int(lengths[i])
            entries.append(entry)
            keys[entry.id] = entry.key
        }
        let ordered = keyBytes.withUnsafeBufferPointer { bytes in
            entries.indices.dropFirst().allSatisfy { i in
                Self.precedes(entries[i - 1].key, entries[i - 1].id, entries[i].key, entries[i].id, in: bytes)
            }
        }
        guard ordered, keys.count == entries.count else {
            throw IndexFileError("the title suggestions are out of order or repeat a paper")
        }
    }
}
