/// Title autocompletion: the titles that start with what the user has typed so far.
///
/// Titles are normalised (lowercase, accents folded, punctuation dropped, single spaces) and
/// kept sorted, so the matches for a prefix are one contiguous range found by binary search.
public struct Suggester: Sendable {
    public struct Suggestion: Sendable, Hashable {
        public var id: String
        public var title: String
        public var weight: Float
    }

    private struct Entry: Sendable {
        var key: String
        var id: String
        var title: String
        var weight: Float
    }

    private var entries: [Entry] = []  // sorted by key, then id
    private var keys: [String: String] = [:]  // id -> key, for replacing
    private let tokenizer = Tokenizer(foldAccents: true, compounds: .parts)
    /// Ranges longer than this (one- or two-letter prefixes) are cut; the top is still good.
    static let maximumScannedMatches = 20_000

    /// `weight` orders suggestions with the same prefix (for example upvotes); higher first.
    public init(titles: [(id: String, title: String, weight: Float)] = []) {
        var seen: [String: Entry] = [:]
        for item in titles {
            seen[item.id] = Entry(key: normalise(item.title), id: item.id, title: item.title, weight: item.weight)
        }
        entries = seen.values.sorted { ($0.key, $0.id) < ($1.key, $1.id) }
        keys = seen.mapValues(\.key)
    }

    public var count: Int { entries.count }

    public mutating func upsert(id: String, title: String, weight: Float = 0) {
        remove(id: id)
        let entry = Entry(key: normalise(title), id: id, title: title, weight: weight)
        let position = lowerBound(entry.key, id: id)
        entries.insert(entry, at: position)
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
        for item in items {
            incoming[item.id] = Entry(key: normalise(item.title), id: item.id, title: item.title, weight: item.weight)
        }
        entries.removeAll { incoming[$0.id] != nil }
        entries.append(contentsOf: incoming.values)
        entries.sort { ($0.key, $0.id) < ($1.key, $1.id) }
        for (id, entry) in incoming { keys[id] = entry.key }
    }

    public mutating func remove(id: String) {
        guard let key = keys.removeValue(forKey: id) else { return }
        let position = lowerBound(key, id: id)
        if position < entries.count && entries[position].id == id { entries.remove(at: position) }
    }

    /// Up to `limit` titles starting with `prefix`, heaviest first, then alphabetically.
    public func suggest(_ prefix: String, limit: Int = 10) -> [Suggestion] {
        let key = normalise(prefix)
        guard !key.isEmpty, limit > 0 else { return [] }
        var matches: [Entry] = []
        var position = lowerBound(key, id: "")
        while position < entries.count && matches.count < Suggester.maximumScannedMatches
            && entries[position].key.hasPrefix(key)
        {
            matches.append(entries[position])
            position += 1
        }
        let best = matches.sorted { ($0.weight, $1.key, $1.id) > ($1.weight, $0.key, $0.id) }
        return best.prefix(limit).map { Suggestion(id: $0.id, title: $0.title, weight: $0.weight) }
    }

    private func normalise(_ text: String) -> String {
        var words: [String] = []
        tokenizer.tokens(in: text) { words.append($0) }
        return words.joined(separator: " ")
    }

    /// First position whose (key, id) is not less than the given pair.
    private func lowerBound(_ key: String, id: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if (entries[mid].key, entries[mid].id) < (key, id) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension Suggester {
    /// Writes the titles, already sorted and normalised (`IndexFile`).
    public func write(to file: IndexFileWriter) {
        file.write(strings: entries.lazy.map(\.key), count: entries.count)
        file.write(strings: entries.lazy.map(\.id), count: entries.count)
        file.write(strings: entries.lazy.map(\.title), count: entries.count)
        file.write(entries.map(\.weight))
    }

    /// Reads what `write(to:)` wrote.
    public init(reading file: IndexFileReader) throws {
        self.init()
        let keys = try file.readStrings()
        let ids = try file.readStrings()
        let titles = try file.readStrings()
        let weights: [Float] = try file.readArray()
        guard ids.count == keys.count, titles.count == keys.count, weights.count == keys.count else {
            throw IndexFileError("the title suggestions' arrays differ in length")
        }
        entries.reserveCapacity(keys.count)
        self.keys.reserveCapacity(keys.count)
        for i in keys.indices {
            entries.append(Entry(key: keys[i], id: ids[i], title: titles[i], weight: weights[i]))
            self.keys[ids[i]] = keys[i]
        }
    }
}
