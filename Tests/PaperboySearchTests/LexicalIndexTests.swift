import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite struct LexicalIndexTests {
    let index = LexicalIndex(documents: Fixtures.papers)

    @Test func findsPapersByTitleWords() {
        #expect(index.search("attention is all you need", k: 3).first?.id == "1706.03762")
        #expect(index.search("residual learning", k: 3).first?.id == "1512.03385")
        #expect(index.search("stochastic optimization", k: 1).map(\.id) == ["1412.6980"])
    }

    @Test func findsPapersByAuthorAndInflection() {
        #expect(index.search("vaswani", k: 1).map(\.id) == ["1706.03762"])
        #expect(index.search("Kingma", k: 1).map(\.id) == ["1412.6980"])
        // "transformer" in a query matches "Transformers" in a title.
        #expect(Set(index.search("transformer", k: 5).map(\.id)) == ["1706.03762", "1810.04805"])
    }

    @Test func modelNamesWithHyphensMatchWrittenEitherWay() {
        #expect(index.search("gpt-4", k: 1).first?.id == "2303.08774")
        #expect(index.search("GPT4", k: 1).first?.id == "2303.08774")
    }

    @Test func resultsAreSortedBestFirstAndRespectK() {
        let results = index.search("deep neural networks models", k: 4)
        #expect(results.count == 4)
        #expect(zip(results, results.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(index.search("models", k: 0).isEmpty)
    }

    @Test func unknownAndStopwordOnlyQueriesFindNothing() {
        #expect(index.search("zyzzyva", k: 10).isEmpty)
        #expect(index.search("the of and", k: 10).isEmpty)
        #expect(LexicalIndex().search("attention", k: 10).isEmpty)
    }

    /// Whatever a user types, search returns results or nothing; it never traps.
    @Test(arguments: [
        "\"attention is all\"", "attention AND NOT bert", "bert OR gpt", "NOT", "((diffusion", "diffusion]]",
        "optim*", "title:attention", "author:\"vaswani\"", "🚀🔥 diffusion 🤖", "\u{0}\u{1}\u{7F}bert\u{1B}",
        "-", "--", "*", ":", "\"", "\\", "'; DROP TABLE papers; --", "\u{202E}gnidaer", "e\u{301}\u{301}\u{301}",
        String(repeating: "attention ", count: 1_100), String(repeating: "x", count: 10_000),
        String(repeating: "🙂", count: 3_000), (0..<2_000).map { "w\($0)" }.joined(separator: " "),
    ])
    func oddInputNeverBreaksSearch(query: String) {
        let results = index.search(query, k: 10)
        #expect(results.count <= 10)
        #expect(results.allSatisfy { $0.score.isFinite && $0.score > 0 })
    }

    @Test func hugeQueriesKeepTheirMostDistinctiveTerms() {
        let filler = (0..<1_000).map { "filler\($0)" }
        let index = LexicalIndex(
            documents: Fixtures.papers + filler.map { SearchDocument(id: $0, title: "\($0) common") }
        )
        let query = (filler + ["common", "vaswani"]).joined(separator: " ")
        #expect(index.weightedTerms(query).count == LexicalIndex.maximumQueryTerms)
        // "common" is in 1,000 documents and drops out; the rare author name stays.
        #expect(index.weightedTerms(query).contains { index.vocabulary.terms[Int($0.term)] == "vaswani" })
        #expect(!index.weightedTerms(query).contains { index.vocabulary.terms[Int($0.term)] == "common" })
    }

    @Test func quotedAndOperatorQueriesSearchTheirWords() {
        #expect(index.search("\"residual learning\" AND image", k: 1).first?.id == "1512.03385")
    }

    @Test func filterSeesInternalIDsAndExcludesDocuments() {
        let bert = index.internalID(of: "1810.04805")!
        let results = index.search("transformers", k: 10) { $0 != bert }
        #expect(results.map(\.id) == ["1706.03762"])
        #expect(index.externalID(of: bert) == "1810.04805")
    }

    @Test func upsertReplacesAndAddsDocuments() {
        var index = self.index
        index.upsert(SearchDocument(id: "1706.03762", title: "Renamed paper about kittens"))
        #expect(index.count == Fixtures.papers.count)
        #expect(index.search("kittens", k: 5).map(\.id) == ["1706.03762"])
        #expect(!index.search("attention", k: 5).map(\.id).contains("1706.03762"))
        index.upsert(SearchDocument(id: "new", title: "Kittens and attention"))
        #expect(index.count == Fixtures.papers.count + 1)
        #expect(Set(index.search("kittens", k: 5).map(\.id)) == ["1706.03762", "new"])
        // The original value is untouched: indexes are values.
        #expect(self.index.search("kittens", k: 5).isEmpty)
    }

    @Test func removeHidesDocument() {
        var index = self.index
        index.remove(id: "1412.6980")
        #expect(index.search("adam optimization", k: 5).allSatisfy { $0.id != "1412.6980" })
        #expect(index.count == Fixtures.papers.count - 1)
        index.remove(id: "not-there")
        #expect(index.count == Fixtures.papers.count - 1)
    }

    @Test func termsMostlyInRemovedDocumentsStillScorePositively() {
        var index = LexicalIndex(documents: (0..<4).map { SearchDocument(id: "d\($0)", title: "common words") })
        for i in 0..<3 { index.remove(id: "d\(i)") }
        let results = index.search("common", k: 5)
        #expect(results.map(\.id) == ["d3"])
        #expect(results.allSatisfy { $0.score > 0 })
    }

    @Test func duplicateIDsInBuildKeepTheLastVersion() {
        let index = LexicalIndex(documents: [
            SearchDocument(id: "a", title: "old words"), SearchDocument(id: "a", title: "new words"),
        ])
        #expect(index.count == 1)
        #expect(index.search("old", k: 5).isEmpty)
        #expect(index.search("new", k: 5).map(\.id) == ["a"])
    }

    /// Scores must equal textbook BM25F, whichever accumulation path (sparse or dense) runs.
    @Test func scoresMatchDirectBM25Computation() {
        let documents = Fixtures.synthetic(count: 400)
        let parameters = BM25Parameters.default
        let index = LexicalIndex(documents: documents, parameters: parameters)
        let analyzer = Analyzer()
        let weighted: [[String: Float]] = documents.map { document in
            var tf: [String: Float] = [:]
            for term in analyzer.terms(document.title) { tf[term, default: 0] += parameters.titleWeight }
            for term in analyzer.terms(document.abstract) { tf[term, default: 0] += parameters.abstractWeight }
            return tf
        }
        let lengths = weighted.map { $0.values.reduce(0, +) }
        let average = lengths.reduce(0, +) / Float(lengths.count)
        for query in ["word3x", "word0x word1x", "word59x word58x word2x", "word10x word10x"] {
            let terms = analyzer.terms(query)
            var expected: [(Int, Float)] = []
            for (doc, tf) in weighted.enumerated() {
                var score: Float = 0
                for term in terms {
                    guard let f = tf[term] else { continue }
                    let df = weighted.filter { $0[term] != nil }.count
                    let idf = log(1 + (Float(documents.count) - Float(df) + 0.5) / (Float(df) + 0.5))
                    score +=
                        idf * f * (parameters.k1 + 1)
                        / (f + parameters.k1 * (1 - parameters.b + parameters.b * lengths[doc] / average))
                }
                if score > 0 { expected.append((doc, score)) }
            }
            expected.sort { ($0.1, -$0.0) > ($1.1, -$1.0) }
            let got = index.searchInternal(query, k: 20)
            #expect(got.count == min(20, expected.count))
            for (g, e) in zip(got, expected) {
                // Impacts are stored as bfloat16: each within 2^-8 of its exact value.
                #expect(abs(g.score - e.1) < 4e-3 * max(1, e.1), "\(query)")
            }
        }
    }

    /// MaxScore, block-max, reading back only touched documents and scanning all of them must agree exactly,
    /// including on removed documents and filters.
    @Test func bothSelectionStrategiesAgree() {
        var index = LexicalIndex(documents: Fixtures.synthetic(count: 500))
        for i in stride(from: 0, to: 500, by: 7) { index.remove(id: "doc\(i)") }
        index.upsert(SearchDocument(id: "doc3", title: "word1x word2x word2x"))
        let filter: (Int32) -> Bool = { $0 % 5 != 0 }
        for query in ["word0x", "word1x word2x", "word50x word51x word59x", "word7x word7x word30x"] {
            let terms = index.weightedTerms(query)
            for k in [1, 10, 600] {
                for f in [nil, filter] {
                    let touched = index.score(terms, k: k, filter: f, strategy: .exhaustive, selection: .touchedOnly)
                    let scanned = index.score(terms, k: k, filter: f, strategy: .exhaustive, selection: .fullScan)
                    #expect(touched == scanned, "\(query) k=\(k)")
                    for strategy in [ScoringStrategy.maxScore, .blockMax, .automatic] {
                        let pruned = index.score(terms, k: k, filter: f, strategy: strategy)
                        #expect(pruned == scanned, "\(strategy) \(query) k=\(k)")
                    }
                    #expect(!touched.contains { !index.isLive[Int($0.doc)] })
                    if f != nil { #expect(touched.allSatisfy { filter($0.doc) }) }
                }
            }
        }
    }

    /// Many random multi-word queries with small k: the regime where MaxScore and block-max prune.
    @Test func maxScoreMatchesExhaustiveOnRandomQueries() {
        let index = LexicalIndex(documents: Fixtures.synthetic(count: 2_000, seed: 11))
        var random = SplitMix64(seed: 5)
        for _ in 0..<300 {
            let words = (0..<Int.random(in: 2...8, using: &random)).map { _ in
                "word\(Int.random(in: 0..<60, using: &random))x"
            }
            let terms = index.weightedTerms(words.joined(separator: " "))
            for k in [1, 3, 10] {
                let exhaustive = index.score(terms, k: k, filter: nil, strategy: .exhaustive)
                for strategy in [ScoringStrategy.maxScore, .blockMax] {
                    let pruned = index.score(terms, k: k, filter: nil, strategy: strategy)
                    #expect(pruned == exhaustive, "\(strategy) \(words) k=\(k)")
                }
            }
        }
    }

    /// Concurrent searches each borrow their own accumulator from the pool.
    @Test func concurrentSearchesAgreeWithSequentialOnes() async {
        let index = LexicalIndex(documents: Fixtures.synthetic(count: 3_000, seed: 2))
        let queries = (0..<64).map { "word\($0 % 60)x word\(($0 * 7) % 60)x word\(($0 * 13) % 60)x" }
        let expected = queries.map { index.searchInternal($0, k: 10) }
        let concurrent = await withTaskGroup(of: (Int, [ScoredDoc]).self) { group in
            for (i, query) in queries.enumerated() {
                group.addTask { (i, index.searchInternal(query, k: 10)) }
            }
            var results = [[ScoredDoc]](repeating: [], count: queries.count)
            for await (i, result) in group { results[i] = result }
            return results
        }
        #expect(concurrent == expected)
    }

    @Test func smallerKIsAPrefixOfLargerK() {
        let index = LexicalIndex(documents: Fixtures.synthetic(count: 300))
        for query in ["word0x", "word5x word9x", "word40x word41x word42x"] {
            let big = index.searchInternal(query, k: 100)
            let small = index.searchInternal(query, k: 7)
            #expect(small == Array(big.prefix(7)))
        }
    }

    /// After many updates the average length drifts; impacts are renormalised so the index
    /// scores exactly like one built from scratch over the same documents.
    @Test func incrementalUpdatesScoreLikeAFreshBuild() {
        let all = Fixtures.synthetic(count: 300)
        var incremental = LexicalIndex(documents: Array(all.prefix(100)))
        for document in all.dropFirst(100) { incremental.upsert(document) }
        let fresh = LexicalIndex(documents: all)
        let queries = ["word0x", "word5x word9x", "word40x word41x word42x"]
        for query in queries {
            // Within the 2% drift allowance, scores are close...
            let a = Dictionary(uniqueKeysWithValues: incremental.search(query, k: 300).map { ($0.id, $0.score) })
            for (id, score) in fresh.search(query, k: 300) { #expect(abs(a[id]! - score) < 0.03 * score) }
        }
        incremental.renormalise()
        for query in queries {
            // ...and after renormalising they rank the same, with scores equal up to rounding
            // (impacts are bfloat16, and renormalising rounds a rounded impact's term
            // frequency again: two roundings of 2^-8 at most).
            let a = incremental.search(query, k: 10)
            let b = fresh.search(query, k: 10)
            #expect(a.map(\.id) == b.map(\.id))
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 8e-3 * y.score) }
        }
    }

    @Test func relatedPapersExcludeTheDocumentItself() {
        let diffusion = Fixtures.papers[4]
        let related = index.related(to: diffusion, k: 3)
        #expect(!related.contains { index.externalID(of: $0.doc) == diffusion.id })
        #expect(index.externalID(of: related.first!.doc) == "1512.03385")  // shares "image", "present"
    }
}
