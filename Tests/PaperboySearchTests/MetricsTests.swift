import Foundation
import PaperboySearch
import Testing

@Suite struct MetricsTests {
    // Judged: a (1), c (2), d (1), z (0: judged not relevant).
    let judgments = ["a": 1, "c": 2, "d": 1, "z": 0]

    @Test func ndcgByHand() {
        // DCG = 1/log2(2) + 0 + 2/log2(4) = 2; ideal = 2/1 + 1/log2(3) + 1/log2(4).
        let ideal = 2 + 1 / log2(3.0) + 0.5
        #expect(abs(RankingMetrics.ndcg(ranked: ["a", "b", "c"], judgments: judgments, k: 10) - 2 / ideal) < 1e-9)
        #expect(abs(RankingMetrics.ndcg(ranked: ["c", "a", "d"], judgments: judgments, k: 10) - 1) < 1e-9)
        // The cut-off applies to the ranking and to the ideal: at k=1, "a" gets 1 of an ideal 2.
        #expect(abs(RankingMetrics.ndcg(ranked: ["a", "c"], judgments: judgments, k: 1) - 0.5) < 1e-9)
        #expect(RankingMetrics.ndcg(ranked: [], judgments: judgments, k: 10) == 0)
        #expect(RankingMetrics.ndcg(ranked: ["z"], judgments: ["z": 0], k: 10) == 0)
    }

    @Test func recallAndPrecisionByHand() {
        #expect(abs(RankingMetrics.recall(ranked: ["a", "b", "c"], judgments: judgments, k: 2) - 1.0 / 3) < 1e-9)
        #expect(RankingMetrics.recall(ranked: ["a", "b", "c", "d"], judgments: judgments, k: 100) == 1)
        #expect(RankingMetrics.recall(ranked: ["z"], judgments: judgments, k: 100) == 0)
        #expect(RankingMetrics.precision(ranked: ["a", "b", "c"], relevant: ["a", "c"], k: 10) == 0.2)
        #expect(RankingMetrics.precision(ranked: ["a", "b"], relevant: ["a"], k: 2) == 0.5)
    }

    @Test func summaryAveragesOverJudgedQueriesAndMissingRunsScoreZero() {
        let summary = RankingMetrics.summarize(
            run: ["q1": ["a"], "unjudged": ["a"]],
            judgments: ["q1": ["a": 1], "q2": ["b": 1]]
        )
        #expect(summary.queryCount == 2)
        #expect(summary.ndcgAt10 == 0.5)
        #expect(summary.recallAt100 == 0.5)
    }

    @Test func loadsBEIRLayout() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "beir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appending(path: "qrels"),
            withIntermediateDirectories: true
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        {"_id": "d1", "title": "Cats", "text": "Cats purr.", "authors": ["A. Cat"]}
        {"_id": 2, "title": "Dogs", "text": "Dogs bark."}
        """.write(to: directory.appending(path: "corpus.jsonl"), atomically: true, encoding: .utf8)
        try """
        {"_id": "q1", "text": "purring"}
        {"_id": "q2", "text": "unjudged"}
        """.write(to: directory.appending(path: "queries.jsonl"), atomically: true, encoding: .utf8)
        try "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t2\t0\n"
            .write(to: directory.appending(path: "qrels/test.tsv"), atomically: true, encoding: .utf8)
        let dataset = try BEIRDataset.load(directory: directory, split: "test")
        #expect(dataset.documents.map(\.id) == ["d1", "2"])
        #expect(dataset.documents[0].authors == ["A. Cat"])
        #expect(dataset.queries.map(\.id) == ["q1"])
        #expect(dataset.judgments == ["q1": ["d1": 1, "2": 0]])
        #expect(throws: (any Error).self) { try BEIRDataset.load(directory: directory, split: "train") }
    }

    @Test func citationLinksAreSymmetricAndFilteredByType() throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "links-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: file) }
        try "doc_a\ttype\tdoc_b\n100\t5\t1\n123\t5\t1\n100\t4\t7\n".write(to: file, atomically: true, encoding: .utf8)
        let links = try CitationLinks.load(file)
        #expect(links == ["1": ["100", "123"], "100": ["1"], "123": ["1"]])
        let precision = CitationLinks.meanPrecision(links: links, k: 2) { id in id == "1" ? ["100", "x"] : ["1"] }
        #expect(abs(precision - (0.5 + 0.5 + 0.5) / 3) < 1e-9)
    }
}
