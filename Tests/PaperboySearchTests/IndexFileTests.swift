import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

/// Writing the indexes to a file and reading them back gives indexes that answer every search
/// as the originals did and keep taking updates; damaged or foreign files are refused.
@Suite struct IndexFileTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)").path
    }

    static func documents(_ count: Int, seed: UInt64) -> [SearchDocument] {
        let words = [
            "attention", "transformer", "diffusion", "graph", "neural", "retrieval", "language", "image", "protein",
            "reinforcement", "policy", "sparse", "dense", "vision", "speech", "robot", "theorem", "quantum", "markov",
            "bayesian", "kernel", "convex", "federated", "privacy",
        ]
        var random = SplitMix64(seed: seed)
        func phrase(_ length: Int) -> String {
            (0..<length).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
        }
        return (0..<count).map { i in
            SearchDocument(id: "p\(i)", title: phrase(5), abstract: phrase(40), authors: ["Author \(i % 17)"])
        }
    }

    /// Writes with `write`, reads with `read`, and checks the whole file was read.
    static func roundTrip<T>(_ write: (IndexFileWriter) -> Void, _ read: (IndexFileReader) throws -> T) throws -> T {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try IndexFileWriter(path: path)
        write(writer)
        try writer.commit()
        let reader = try IndexFileReader(path: path)
        let value = try read(reader)
        try reader.finish()
        return value
    }

    @Test func aLexicalIndexReadBackRanksAsTheOriginalAndTakesUpdates() throws {
        var original = LexicalIndex(documents: Self.documents(3_000, seed: 1))
        original.remove(id: "p7")
        original.upsert(SearchDocument(id: "p8", title: "quantum graph", abstract: "a replaced paper", authors: []))
        var copy = try Self.roundTrip(original.write(to:)) { try LexicalIndex(reading: $0) }
        #expect(copy.count == original.count)
        #expect(copy.statistics == original.statistics)
        #expect(!copy.contains(id: "p7"))
        for query in ["attention transformer", "quantum graph", "privacy", "author 3", "federated convex kernel"] {
            #expect(Self.hits(copy, query) == Self.hits(original, query), "\(query)")
        }
        let added = SearchDocument(id: "new", title: "speech robot theorem", abstract: "markov markov", authors: [])
        original.upsert(added)
        copy.upsert(added)
        #expect(Self.hits(copy, "markov robot") == Self.hits(original, "markov robot"))
        #expect(copy.contains(id: "new"))
        #expect(copy.search("markov robot", k: 3_001).contains { $0.id == "new" })
    }

    static func hits(_ index: LexicalIndex, _ query: String) -> [String] {
        index.search(query, k: 20).map { "\($0.id) \($0.score)" }
    }

    @Test func aClusteredDenseIndexWithPassagesReadBackSearchesAsTheOriginal() throws {
        let vectors = DenseClustersTests.topicalVectors(count: 2_000, centers: 20, seed: 3)
        let passageVectors = DenseClustersTests.topicalVectors(count: 4_000, centers: 20, seed: 4)
        var original = DenseIndex(dimension: DenseClustersTests.dimension)
        for (i, vector) in vectors.enumerated() {
            original.upsert(id: "v\(i)", vector: vector, passages: i % 3 == 0 ? [] : [passageVectors[2 * i], passageVectors[2 * i + 1]])
        }
        original.cluster(clusterCount: 30)
        original.remove(id: "v5")
        original.upsert(id: "v6", vector: vectors[7])
        original.probes = 4
        var copy = try Self.roundTrip(original.write(to:)) { try DenseIndex(reading: $0, dimension: DenseClustersTests.dimension) }
        copy.probes = 4
        #expect(copy.count == original.count)
        #expect(copy.clusterCount == 30)
        #expect(copy.passageCount == original.passageCount)
        #expect(copy.internalID(of: "v5") == nil)
        let queries = DenseClustersTests.topicalVectors(count: 20, centers: 20, seed: 3, noiseSeed: 9)
        for query in queries {
            #expect(copy.search(query, k: 10) == original.search(query, k: 10))
            #expect(copy.search(query, k: 10, mode: .exact) == original.search(query, k: 10, mode: .exact))
            #expect(copy.searchWithPassages(query, k: 10) == original.searchWithPassages(query, k: 10))
        }
        // Appends after reading go where the original's would.
        original.upsert(id: "late", vector: queries[0], passages: [queries[1]])
        copy.upsert(id: "late", vector: queries[0], passages: [queries[1]])
        #expect(copy.searchWithPassages(queries[0], k: 5) == original.searchWithPassages(queries[0], k: 5))
        #expect(copy.search(queries[0], k: 1).map { copy.externalID(of: $0.doc) } == ["late"])
    }

    @Test func suggestionsReadBackAreTheSame() throws {
        let original = Suggester(titles: [
            ("a", "Attention Is All You Need", 10), ("b", "Attention over attention", 3), ("c", "Über Graphen", 1),
        ])
        let copy = try Self.roundTrip(original.write(to:)) { try Suggester(reading: $0) }
        #expect(copy.count == 3)
        #expect(copy.suggest("atten") == original.suggest("atten"))
        #expect(copy.suggest("uber").map(\.id) == ["c"])
        var updated = copy
        updated.upsert(id: "d", title: "Attentive readers", weight: 20)
        #expect(updated.suggest("atten").map(\.id) == ["d", "a", "b"])
    }

    @Test func suggestionsOutOfOrderOrOfUnevenLengthAreRefused() throws {
        func write(keys: [String], ids: [String], lengths: [UInt16]? = nil) -> (IndexFileWriter) -> Void {
            { file in
                file.write(Array(keys.joined().utf8))
                file.write(lengths ?? keys.map { UInt16($0.utf8.count) })
                file.write(strings: ids, count: ids.count)
                file.write([Float](repeating: 1, count: ids.count))
            }
        }
        #expect(try Self.roundTrip(write(keys: ["alpha", "beta"], ids: ["a", "b"])) { try Suggester(reading: $0) }.count == 2)
        #expect(throws: IndexFileError.self) {
            try Self.roundTrip(write(keys: ["beta", "alpha"], ids: ["b", "a"])) { try Suggester(reading: $0) }
        }
        #expect(throws: IndexFileError.self) {
            try Self.roundTrip(write(keys: ["alpha", "beta"], ids: ["a", "a"])) { try Suggester(reading: $0) }
        }
        #expect(throws: IndexFileError.self) {
            try Self.roundTrip(write(keys: ["alpha", "beta"], ids: ["a", "b"], lengths: [5, 5])) { try Suggester(reading: $0) }
        }
    }

    @Test func aDamagedTruncatedOrForeignFileIsRefused() throws {
        let index = LexicalIndex(documents: Self.documents(200, seed: 5))
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try IndexFileWriter(path: path)
        index.write(to: writer)
        try writer.commit()
        let good = try Data(contentsOf: URL(filePath: path))
        func read(_ bytes: Data) throws {
            try bytes.write(to: URL(filePath: path))
            let reader = try IndexFileReader(path: path)
            _ = try LexicalIndex(reading: reader)
            try reader.finish()
        }
        try read(good)
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        #expect(throws: IndexFileError.self) { try read(flipped) }
        #expect(throws: IndexFileError.self) { try read(good.prefix(good.count - 100)) }
        #expect(throws: IndexFileError.self) { try read(good.prefix(20)) }
        var otherVersion = good
        otherVersion[8] &+= 1
        let error = #expect(throws: IndexFileError.self) { try read(otherVersion) }
        #expect(error?.description.contains("format") == true)
        #expect(throws: IndexFileError.self) { try read(Data("not an index".utf8)) }
        // Other BM25 settings: the stored impacts would be wrong, so the file is refused.
        try good.write(to: URL(filePath: path))
        #expect(throws: IndexFileError.self) {
            _ = try LexicalIndex(reading: try IndexFileReader(path: path), parameters: BM25Parameters(k1: 2, b: 0.5))
        }
    }

    @Test func anUncommittedWriteLeavesThePreviousFileInPlace() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try IndexFileWriter(path: path)
        first.write(UInt64(1))
        try first.commit()
        do {
            let second = try IndexFileWriter(path: path)
            second.write(UInt64(2))
            // dropped without commit(), as when the process stops mid-write
        }
        let reader = try IndexFileReader(path: path)
        #expect(try reader.read(UInt64.self) == 1)
        try reader.finish()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix(URL(filePath: path).lastPathComponent + ".partial") }
        #expect(leftovers.isEmpty)
    }
}
