import Foundation
import PaperboyIngest
import Testing

@Suite struct LineReaderTests {
    @Test func eachByteIsSearchedOnceHoweverLongTheLine() async throws {
        let scratch = try await Scratch()
        let long = Data(repeating: UInt8(ascii: "x"), count: 8 << 20)
        let file = try scratch.file("long.jsonl", Data("first\n".utf8) + long + Data("\nlast\n".utf8))
        let reader = try LineReader(path: file, maxLineLength: 16 << 20)
        var records: [LineReader.Record] = []
        while let record = try reader.nextRecord() { records.append(record) }
        #expect(records == [.line(Data("first".utf8)), .line(long), .line(Data("last".utf8))])
        #expect(reader.bytesScanned == reader.fileSize, "a search from the line start rescans it on every refill")
    }

    @Test func aLineOverTheLimitIsSkippedAndTheRestRead() async throws {
        let scratch = try await Scratch()
        let atLimit = String(repeating: "a", count: 100)
        let lines = [
            "short", String(repeating: "b", count: 101), atLimit + "\r", String(repeating: "c", count: 3 << 20), "after",
            "tail without a newline over the limit" + atLimit,
        ]
        let file = try scratch.file("lines.jsonl", Data(lines.joined(separator: "\n").utf8))
        let reader = try LineReader(path: file, maxLineLength: 100)
        var records: [LineReader.Record] = []
        while let record = try reader.nextRecord() { records.append(record) }
        #expect(
            records == [
                .line(Data("short".utf8)), .oversized(byteCount: 101), .line(Data(atLimit.utf8)), .oversized(byteCount: 3 << 20),
                .line(Data("after".utf8)), .oversized(byteCount: 137),
            ]
        )
        #expect(reader.bytesScanned == reader.fileSize)
    }

    @Test func nextLineThrowsForALineOverTheLimitAndReadingGoesOn() async throws {
        let scratch = try await Scratch()
        let file = try scratch.file("lines.jsonl", Data("one\n\(String(repeating: "x", count: 20))\nthree\n".utf8))
        let reader = try LineReader(path: file, maxLineLength: 10)
        #expect(try reader.nextLine() == Data("one".utf8))
        #expect {
            try reader.nextLine()
        } throws: { error in
            "\(error)" == "record is 20 bytes, over the 10-byte limit"
        }
        #expect(try reader.nextLine() == Data("three".utf8))
        #expect(try reader.nextLine() == nil)
    }

    /// 5 KB of gzip that inflates to a 5,242,880-byte line between two papers.
    @Test func aGzipLineOverTheLimitIsSkippedAsItInflates() throws {
        let reader = try LineReader(path: Fixtures.url("oversized-line.jsonl.gz").path)
        var records: [LineReader.Record] = []
        while let record = try reader.nextRecord() { records.append(record) }
        #expect(records.count == 3)
        #expect(records[1] == .oversized(byteCount: 5_242_880))
        #expect(reader.bytesScanned == 5_243_141, "the inflated size, each byte searched once")
    }

    @Test func aDirectoryCannotBeOpenedAsALineFile() async throws {
        let scratch = try await Scratch()
        #expect {
            try LineReader(path: scratch.directory.path)
        } throws: { error in
            "\(error)" == "cannot open \(scratch.directory.path): is a directory"
        }
    }
}
