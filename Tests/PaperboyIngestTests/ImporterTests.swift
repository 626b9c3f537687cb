import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import Testing

@Suite struct ImporterTests {
    @Test func importsFilesReportsRejectionsAndIsIdempotent() async throws {
        let scratch = try await Scratch()
        let importer = Importer(store: scratch.store)
        let files = ["2024-05-27.json", "2024-05-28.json", "2024-12-11.json"].map { Fixtures.url($0).path }
        var rejections: [Rejection] = []
        let first = try await importer.importHFDaily(paths: files) { rejections.append($0) }
        #expect(first == ImportCounts(days: 3, papers: 28, new: 28, updated: 0, rejected: 26))
        #expect(rejections.count == 26)
        #expect(first.summaryLine == "days=3 papers=28 new=28 updated=0 unchanged=0 rejected=26")

        let second = try await importer.importHFDaily(paths: files) { _ in }
        #expect(second == ImportCounts(days: 3, papers: 28, new: 0, updated: 0, rejected: 26))
        #expect(try await scratch.store.statistics() == StoreStatistics(papers: 28, feedDays: 2, entries: 28))
    }

    @Test func aLaterCaptureOfADayUpdatesItsUpvotes() async throws {
        let scratch = try await Scratch()
        let importer = Importer(store: scratch.store)
        _ = try await importer.importHFDaily(paths: [Fixtures.url("2024-05-27.json").path]) { _ in }

        var items = try JSONSerialization.jsonObject(with: Fixtures.data("2024-05-27.json")) as! [[String: Any]]
        var paper = items[0]["paper"] as! [String: Any]
        paper["upvotes"] = 99
        items[0]["paper"] = paper
        let recapture = try scratch.file("2024-05-27.json", JSONSerialization.data(withJSONObject: items))

        let counts = try await importer.importHFDaily(paths: [recapture]) { _ in }
        #expect(counts.updated == 1)
        #expect(counts.new == 0)
        #expect(try await scratch.store.paper(id: "2405.15738")?.upvotes == 99)
    }

    @Test func aBrokenFileIsReportedAndTheRestImported() async throws {
        let scratch = try await Scratch()
        let broken = try scratch.file("2024-05-29.json", Data("[{\"paper\": ".utf8))
        var rejections: [Rejection] = []
        let counts = try await Importer(store: scratch.store).importHFDaily(paths: [broken, Fixtures.url("2024-05-27.json").path]) {
            rejections.append($0)
        }
        #expect(counts.papers == 13)
        #expect(counts.rejected == 1)
        #expect(rejections.first?.file == "2024-05-29.json")
    }

    @Test func aMissingPathIsFatal() async throws {
        let scratch = try await Scratch()
        await #expect(throws: Importer.ImportError.missingPath("/no/such/dir")) {
            try await Importer(store: scratch.store).importHFDaily(paths: ["/no/such/dir"]) { _ in }
        }
    }

    @Test func importsArxivListingLinesFromGzip() async throws {
        let scratch = try await Scratch()
        let counts = try await Importer(store: scratch.store).importArxivJSONL(paths: [Fixtures.url("arxiv-cs-sample.jsonl.gz").path]) { _ in }
        #expect(counts == ImportCounts(papers: 200, new: 200))
        let paper = try #require(try await scratch.store.paper(id: "2503.11731"))
        #expect(paper.categories == ["cs.CV", "cs.RO"])
        #expect(paper.authors.first == "Xianming Zeng")
        #expect(paper.authors.count == 16)
        #expect(paper.publishedAt == "2025-03-18T00:00:00.000Z")
    }

    @Test func importsTheKaggleSnapshotShapeAndReportsBadLines() async throws {
        let scratch = try await Scratch()
        var rejections: [Rejection] = []
        let counts = try await Importer(store: scratch.store).importArxivJSONL(paths: [Fixtures.url("kaggle-snapshot-sample.jsonl").path]) {
            rejections.append($0)
        }
        #expect(counts.papers == 3)
        #expect(counts.rejected == 3)
        #expect(rejections.map(\.index) == [4, 5, 6], "line numbers, 1-based")
        let first = try #require(try await scratch.store.paper(id: "0704.0001"))
        #expect(first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"])
        #expect(first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(first.categories == ["hep-ph"])
        #expect(first.publishedAt == "2007-04-02T19:18:42.000Z")
        let old = try #require(try await scratch.store.paper(id: "hep-th/9901001"))
        #expect(old.authors == ["A. Author", "B. Writer Jr"])
        #expect(old.categories == ["hep-th", "math-ph"])
    }

    @Test func aTruncatedGzipIsAFatalReadError() async throws {
        let scratch = try await Scratch()
        let whole = try Fixtures.data("arxiv-cs-sample.jsonl.gz")
        let cut = try scratch.file("cut.jsonl.gz", whole.prefix(whole.count / 2))
        await #expect(throws: LineReader.ReadError.self) {
            try await Importer(store: scratch.store).importArxivJSONL(paths: [cut]) { _ in }
        }
    }

    @Test func readsConcatenatedGzipMembers() async throws {
        let scratch = try await Scratch()
        let member = try Fixtures.data("arxiv-cs-sample.jsonl.gz")
        let doubled = try scratch.file("doubled.jsonl.gz", member + member)
        let reader = try LineReader(path: doubled)
        var lines = 0
        while try reader.nextLine() != nil { lines += 1 }
        #expect(lines == 400)
    }

    @Test(.enabled(if: Fixtures.hasSharedData, "needs ../shared/data beside the repository"))
    func importsTheWholeSharedArchive() async throws {
        let scratch = try await Scratch()
        var rejections: [Rejection] = []
        let counts = try await Importer(store: scratch.store).importHFDaily(
            paths: [Fixtures.sharedData.appendingPathComponent("hf-daily-papers").path]) { rejections.append($0) }
        #expect(counts.days == 580)
        #expect(counts.papers == 9581)
        #expect(counts.rejected == 300)
        #expect(rejections.allSatisfy { $0.reason.contains("Python repr") })
        #expect(Set(rejections.map(\.file)).count == 22)
        let statistics = try await scratch.store.statistics()
        #expect(statistics.entries == 9581)
        #expect(statistics.papers == 9577, "distinct arXiv ids among the valid items")
    }
}
