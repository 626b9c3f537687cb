import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

/// `blockMax` skips postings by their block maxima; it must still return exactly what
/// `exhaustive` returns (same documents, same scores, same order) on every query.
@Suite struct BlockMaxScoringTests {
    /// Zipf-distributed words over 40,000 papers (three windows of ids), one in five an exact
    /// copy of an earlier paper, so scores tie as in the scale bench.
    static let corpus = zipfCorpus(count: 40_000)
    static let index = LexicalIndex(documents: corpus)

    static func zipfCorpus(count: Int, seed: UInt64 = 3) -> [SearchDocument] {
        var random = SplitMix64(seed: seed)
        let vocabulary = (0..<3_000).map { "w\($0)z" }
        var cumulative: [Double] = []
        var total = 0.0
        for rank in vocabulary.indices {
            total += 1 / Double(rank + 1)
            cumulative.append(total)
        }
        func words(_ range: ClosedRange<Int>) -> String {
            (0..<Int.random(in: range, using: &random)).map { _ in
                let x = Double.random(in: 0..<total, using: &random)
                var low = 0
                var high = cumulative.count - 1
                while low < high {
                    let mid = (low + high) / 2
                    if cumulative[mid] <= x { low = mid + 1 } else { high = mid }
                }
                return vocabulary[low]
            }.joined(separator: " ")
        }
        var documents: [SearchDocument] = []
        for i in 0..<count {
            if i >= 1_000 && i % 5 == 0 {
                let original = documents[Int.random(in: 0..<1_000, using: &random)]
                documents.append(
                    SearchDocument(id: "copy\(i)", title: original.title, abstract: original.abstract, authors: [])
                )
            } else {
                documents.append(SearchDocument(id: "doc\(i)", title: words(2...12), abstract: words(10...120)))
            }
        }
        return documents
    }

    /// Titles of papers (the anchor queries are titles), short keyword queries of mixed rarity,
    /// and repeated words.
    static func queries(_ documents: [SearchDocument], count: Int, seed: UInt64 = 9) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let document = documents[Int.random(in: 0..<documents.count, using: &random)]
            switch i % 3 {
            case 0: return document.title
            case 1:
                let words = (document.title + " " + document.abstract).split(separator: " ")
                return (0..<Int.random(in: 1...5, using: &random)).map { _ in words.randomElement(using: &random)! }
                    .joined(separator: " ")
            default:
                return (0..<Int.random(in: 1...8, using: &random)).map { _ in
                    "w\(Int.random(in: 0..<300, using: &random))z"
                }.joined(separator: " ")
            }
        }
    }

    /// Compares blockMax (and automatic) with exhaustive on `queries`, with and without a filter.
    static func expectAgreement(
        _ index: LexicalIndex,
        _ queries: [String],
        ks: [Int],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let filter: (Int32) -> Bool = { $0 % 3 != 1 }
        for query in queries {
            let terms = index.weightedTerms(query)
            for k in ks {
                for f in [nil, filter] {
                    let exhaustive = index.score(terms, k: k, filter: f, strategy: .exhaustive)
                    let blockMax = index.score(terms, k: k, filter: f, strategy: .blockMax)
                    let automatic = index.score(terms, k: k, filter: f, strategy: .automatic)
                    #expect(blockMax == exhaustive, "\(query) k=\(k) filtered=\(f != nil)", sourceLocation: sourceLocation)
                    #expect(automatic == exhaustive, "\(query) k=\(k)", sourceLocation: sourceLocation)
                    #expect(blockMax.allSatisfy { index.isLive[Int($0.doc)] }, sourceLocation: sourceLocation)
                    if f != nil { #expect(blockMax.allSatisfy { filter($0.doc) }, sourceLocation: sourceLocation) }
                }
            }
        }
    }

    @Test func matchesExhaustiveOnManyQueries() {
        BlockMaxScoringTests.expectAgreement(
            BlockMaxScoringTests.index,
            BlockMaxScoringTests.queries(BlockMaxScoringTests.corpus, count: 240),
            ks: [1, 10, 100]
        )
    }

    /// More results wanted than documents match: everything that matches, in order.
    @Test func kLargerThanTheMatches() {
        let index = BlockMaxScoringTests.index
        for query in ["w2999z", "w2500z w2998z", "w7z w2400z"] {
            let terms = index.weightedTerms(query)
            let all = index.score(terms, k: 50_000, filter: nil, strategy: .blockMax)
            #expect(all == index.score(terms, k: 50_000, filter: nil, strategy: .exhaustive))
            #expect(all.count < 50_000)
            #expect(all.count == Set(all.map(\.doc)).count)
        }
    }

    /// Upserts append postings across block boundaries, replacements retire ids, removals
    /// leave postings behind (their block maxima stay, too high but never too low), and the
    /// drift renormalises every impact: the block maxima must stay upper bounds throughout.
    @Test func matchesExhaustiveAfterLiveUpdates() {
        let corpus = BlockMaxScoringTests.corpus
        var index = LexicalIndex(documents: Array(corpus.prefix(20_000)))
        index.upsert(contentsOf: Array(corpus[20_000..<30_000]))
        for i in stride(from: 0, to: 30_000, by: 7) { index.remove(id: corpus[i].id) }
        // Replace some papers with longer text (shifts the average length) and add the rest.
        var random = SplitMix64(seed: 21)
        for i in stride(from: 3, to: 30_000, by: 11) {
            let donor = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            index.upsert(
                SearchDocument(
                    id: corpus[i].id,
                    title: donor.title,
                    abstract: donor.abstract + " " + donor.abstract + " " + donor.abstract
                )
            )
        }
        for document in corpus[30_000...] { index.upsert(document) }
        BlockMaxScoringTests.expectBlocksBoundTheirPostings(index)
        BlockMaxScoringTests.expectAgreement(index, BlockMaxScoringTests.queries(corpus, count: 120, seed: 4), ks: [1, 10])
        index.renormalise()
        BlockMaxScoringTests.expectBlocksBoundTheirPostings(index)
        BlockMaxScoringTests.expectAgreement(index, BlockMaxScoringTests.queries(corpus, count: 60, seed: 5), ks: [10])
    }

    @Test func blocksDescribeTheirPostings() {
        BlockMaxScoringTests.expectBlocksBoundTheirPostings(BlockMaxScoringTests.index)
    }

    static func expectBlocksBoundTheirPostings(_ index: LexicalIndex, sourceLocation: SourceLocation = #_sourceLocation) {
        for list in index.postings {
            let size = PostingList.blockSize
            #expect(list.blocks.count == (list.count + size - 1) / size, sourceLocation: sourceLocation)
            for (block, bounds) in list.blocks.enumerated() {
                let range = block * size..<min((block + 1) * size, list.count)
                #expect(bounds.lastDoc == list.docs[range.upperBound - 1], sourceLocation: sourceLocation)
                #expect(list.impacts[range].allSatisfy { $0.value <= bounds.maxImpact }, sourceLocation: sourceLocation)
                #expect(bounds.maxImpact <= list.maxImpact, sourceLocation: sourceLocation)
            }
        }
    }

    /// blockMax borrows the shared accumulator: it must hand it back all zero, or the next
    /// exhaustive query would add to stale scores.
    @Test func leavesTheAccumulatorClean() {
        let index = BlockMaxScoringTests.index
        let queries = BlockMaxScoringTests.queries(BlockMaxScoringTests.corpus, count: 30, seed: 8)
        let expected = queries.map { index.score(index.weightedTerms($0), k: 10, filter: nil, strategy: .exhaustive) }
        for (query, expected) in zip(queries, expected) {
            _ = index.score(index.weightedTerms(query), k: 10, filter: nil, strategy: .blockMax)
            let again = index.score(
                index.weightedTerms(query),
                k: 10,
                filter: nil,
                strategy: .exhaustive,
                selection: .fullScan
            )
            #expect(again == expected, "\(query)")
        }
    }
}
