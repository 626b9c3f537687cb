import Foundation
import PaperboyCore
import PaperboyIngest
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Awkward input: records too long to hold, and paths that are not what the command expects.
@Suite struct ImporterInputTests {
    static func paperLine(_ id: String) -> String {
        #"{"id":"\#(id)","title":"Paper \#(id)","authors":["A. Author"],"categories":["cs.CL"],"summary":"Short."}"#
    }

    @Test func aFiftyMegabyteLineIsRejectedWithItsSizeAndTheNextLinesImport() async throws {
        let scratch = try await Scratch()
        let huge =
            Data(#"{"id":"2405.00002","title":"Huge","summary":""#.utf8)
            + Data(repeating: UInt8(ascii: "a"), count: 52_428_800 - 47) + Data(#""}"#.utf8)
        #expect(huge.count == 52_428_800)
        let lines =
            Data((Self.paperLine("2405.00001") + "\n").utf8) + huge
            + Data(("\n" + Self.paperLine("2405.00003") + "\n" + Self.paperLine("2405.00004") + "\n").utf8)
        let file = try scratch.file("huge.jsonl", lines)
        var rejections: [Rejection] = []
        let counts = try await Importer(store: scratch.store).importArxivJSONL(paths: [file]) { rejections.append($0) }
        #expect(counts == ImportCounts(papers: 3, new: 3, rejected: 1))
        let reason = "record is 52,428,800 bytes, over the 1,048,576-byte limit"
        #expect(rejections == [Rejection(file: "huge.jsonl", index: 2, reason: reason)])
        #expect(try await scratch.store.paper(id: "2405.00004") != nil)
        #expect(try await scratch.store.paper(id: "2405.00002") == nil)
    }

    @Test func theRecordLimitIsTheImporters() async throws {
        let scratch = try await Scratch()
        var importer = Importer(store: scratch.store)
        importer.maxRecordBytes = 100
        var rejections: [Rejection] = []
        let counts = try await importer.importArxivJSONL(paths: [Fixtures.url("kaggle-snapshot-sample.jsonl").path]) {
            rejections.append($0)
        }
        #expect(counts.papers == 0)
        #expect(rejections.first?.reason.hasSuffix("over the 100-byte limit") == true)
    }

    @Test func aGzippedLineOverTheLimitIsRejected() async throws {
        let scratch = try await Scratch()
        var rejections: [Rejection] = []
        let counts = try await Importer(store: scratch.store).importArxivJSONL(paths: [Fixtures.url("oversized-line.jsonl.gz").path]) {
            rejections.append($0)
        }
        #expect(counts == ImportCounts(papers: 2, new: 2, rejected: 1))
        #expect(
            rejections.map(\.description) == [
                "rejected oversized-line.jsonl.gz[2]: record is 5,242,880 bytes, over the 1,048,576-byte limit"
            ]
        )
    }

    @Test func arxivImportReadsADirectoryOfJSONLinesFiles() async throws {
        let scratch = try await Scratch()
        let folder = scratch.directory.appendingPathComponent("arxiv")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data((Self.paperLine("2405.00001") + "\n").utf8).write(to: folder.appendingPathComponent("a.jsonl"))
        try Data((Self.paperLine("2405.00002") + "\n").utf8).write(to: folder.appendingPathComponent("snapshot.json"))
        try Fixtures.data("arxiv-cs-sample.jsonl.gz").write(to: folder.appendingPathComponent("cs.jsonl.gz"))
        try Data("not arXiv".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let counts = try await Importer(store: scratch.store).importArxivJSONL(paths: [folder.path]) { _ in }
        #expect(counts == ImportCounts(papers: 202, new: 202))
    }

    @Test func aDirectoryWithoutJSONLinesFilesSaysWhatItLookedFor() async throws {
        let scratch = try await Scratch()
        let empty = scratch.directory.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        await #expect {
            try await Importer(store: scratch.store).importArxivJSONL(paths: [empty]) { _ in }
        } throws: { error in
            "\(error)" == "directory \(empty) has no .jsonl, .jsonl.gz, .json or .json.gz files"
        }
        await #expect(throws: Importer.ImportError.missingPath("/no/such/file.jsonl")) {
            try await Importer(store: scratch.store).importArxivJSONL(paths: ["/no/such/file.jsonl"]) { _ in }
        }
    }

    /// Root reads files whatever their mode, so a directory named like a day file stands in
    /// for an unreadable one.
    @Test func aFileThatExistsButCannotBeReadIsNotCalledMissing() async throws {
        let scratch = try await Scratch()
        let folder = scratch.directory.appendingPathComponent("days")
        let day = folder.appendingPathComponent("2024-05-27.json")
        try FileManager.default.createDirectory(at: day, withIntermediateDirectories: true)
        await #expect(throws: Importer.ImportError.unreadable(day.path, reason: "is a directory")) {
            try await Importer(store: scratch.store).importHFDaily(paths: [folder.path]) { _ in }
        }
        let error = Importer.ImportError.unreadable(day.path, reason: "is a directory")
        #expect(error.description == "\(day.path) exists but cannot be read: is a directory")
    }

    @Test(.enabled(if: getuid() != 0, "root reads a file whatever its mode"))
    func aFileWithoutReadPermissionSaysPermissionDenied() async throws {
        let scratch = try await Scratch()
        let day = try scratch.file("2024-05-27.json", Fixtures.data("2024-05-27.json"))
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: day)
        await #expect(throws: Importer.ImportError.unreadable(day, reason: "permission denied")) {
            try await Importer(store: scratch.store).importHFDaily(paths: [day]) { _ in }
        }
    }
}
