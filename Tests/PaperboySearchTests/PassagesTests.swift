import Testing

@testable import PaperboySearch

@Suite struct PassagesTests {
    @Test func abstractsSplitIntoSentencesEvenWithoutSpaces() {
        let abstract =
            "Glioblastoma stem cells (GSCs).GSCs are regulated by A20 (TNFAIP3)! Does it matter? "
            + "Yes: in 3.5% of cases, see Fig. 2 and e.g. mice in the U.S. Army study. Levels rose 20%. The end"
        #expect(
            Passages.sentences(abstract) == [
                "Glioblastoma stem cells (GSCs).",
                "GSCs are regulated by A20 (TNFAIP3)!",
                "Does it matter?",
                "Yes: in 3.5% of cases, see Fig. 2 and e.g. mice in the U.S. Army study.",
                "Levels rose 20%.",
                "The end",
            ]
        )
        #expect(Passages.sentences("") == [])
        #expect(Passages.sentences("  \n ") == [])
        #expect(Passages.sentences("Ünïcode works.Élan follows.") == ["Ünïcode works.", "Élan follows."])
    }

    @Test func eachPassageCarriesTheTitle() {
        #expect(
            Passages.texts(title: "Attention Is All You Need", abstract: "We propose it. It works.") == [
                "Attention Is All You Need. We propose it.", "Attention Is All You Need. It works.",
            ]
        )
        #expect(Passages.texts(title: "Why?", abstract: "Because.") == ["Why? Because."])
        #expect(Passages.texts(title: "No abstract", abstract: "") == [])
    }

    @Test func longAbstractsAreGroupedIntoAtMostSixteenPassages() {
        let sentences = (1...40).map { "Sentence number \($0) is here." }
        let texts = Passages.texts(title: "T", abstract: sentences.joined(separator: " "))
        #expect(texts.count == Passages.maximumCount)
        // Nothing is lost and the order is kept.
        let joined = texts.map { String($0.dropFirst("T. ".count)) }.joined(separator: " ")
        #expect(joined == sentences.joined(separator: " "))
    }
}

@Suite struct DensePassageTests {
    static func unit(_ v: [Float]) -> [Float] {
        let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        return v.map { $0 / norm }
    }

    @Test func threeBitPassageScoresStayCloseToExactCosines() throws {
        let dimension = 384
        let vectors = DenseIndexTests.randomVectors(count: 40, dimension: dimension, seed: 7)
        let query = DenseIndexTests.randomVectors(count: 1, dimension: dimension, seed: 8)[0]
        var index = DenseIndex(dimension: dimension)
        for doc in 0..<10 {
            index.upsert(id: "d\(doc)", vector: vectors[doc], passages: Array(vectors[10 + 3 * doc..<13 + 3 * doc]))
        }
        #expect(index.passageCount == 30)
        for doc in 0..<10 {
            let exact = vectors[10 + 3 * doc..<13 + 3 * doc].map { DenseIndexTests.cosine(query, $0) }.max()!
            let got = try #require(index.bestPassageScore(query, doc: Int32(doc)))
            #expect(abs(got - exact) < 0.03, "doc \(doc): \(got) vs \(exact)")
        }
        // A passage equal to the query scores close to 1 despite the 3-bit rounding.
        var same = DenseIndex(dimension: dimension)
        same.upsert(id: "q", vector: vectors[0], passages: [query])
        #expect(abs(try #require(same.bestPassageScore(query, doc: 0)) - 1) < 0.03)
    }

    @Test func theBitPlaneKernelComputesTheDecodedDotProduct() throws {
        for dimension in [384, 50] {
            let vectors = DenseIndexTests.randomVectors(count: 2, dimension: dimension, seed: UInt64(dimension))
            let (passage, query) = (Self.unit(vectors[0]), Self.unit(vectors[1]))
            let groups = PassageStore.groups(dimension: dimension)
            let (planes, scale) = PassageStore.encoded(passage, groups: groups)
            #expect(planes.count == 3 * groups)
            // Decoded in Swift: code c of component i from bit i of each plane, value (2c − 7)·scale.
            let decoded = (0..<dimension).map { i in
                let code = (0..<3).reduce(0) { $0 | (Int(planes[$1 * groups + i / 8] >> (i % 8)) & 1) << $1 }
                return Float(2 * code - 7) * scale
            }
            #expect(zip(decoded, passage).allSatisfy { abs($0 - $1) <= 0.7 * 2.9 / Float(dimension).squareRoot() })
            var index = DenseIndex(dimension: dimension)
            index.upsert(id: "p", vector: passage, passages: [passage])
            let expected = zip(query, decoded).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(try #require(index.bestPassageScore(query, doc: 0)) - expected) < 1e-4)
        }
    }

    /// Four orthonormal directions in 384 dimensions, each spread over every component as
    /// sentence embeddings are (the 3-bit passage codes are made for such vectors).
    static let basis: [[Float]] = {
        var basis: [[Float]] = []
        for vector in DenseIndexTests.randomVectors(count: 4, dimension: 384, seed: 21) {
            var v = vector
            for b in basis {
                let dot = zip(v, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                v = zip(v, b).map { $0 - dot * $1 }
            }
            basis.append(unit(v))
        }
        return basis
    }()

    /// A four-dimension vector written in `basis`: the same cosines, in 384 dense dimensions.
    static func lift(_ v: [Float]) -> [Float] {
        (0..<384).map { i in (0..<4).reduce(Float(0)) { $0 + v[$1] * basis[$1][i] } }
    }

    @Test func theBestSentenceLiftsAPaperAndLexicalCandidatesAreScoredToo() throws {
        // Four directions make the geometry obvious. The query points along the first.
        let query = Self.lift([1, 0, 0, 0])
        var index = DenseIndex(dimension: 384)
        // "broad": whole paper fairly close, no sentence closer.
        index.upsert(id: "broad", vector: Self.lift([0.8, 0.6, 0, 0]), passages: [Self.lift([0.8, 0, 0.6, 0])])
        // "precise": whole paper further away, but one sentence states exactly the query.
        index.upsert(
            id: "precise",
            vector: Self.lift(Self.unit([0.7, 0, 0.714, 0])),
            passages: [Self.lift([0, 1, 0, 0]), Self.lift([1, 0, 0, 0])]
        )
        // "old": embedded before passages existed; its whole-paper cosine counts twice.
        index.upsert(id: "old", vector: Self.lift(Self.unit([0.85, 0, 0, 0.527])))
        // "far": opposite to the query; only reachable as a lexical candidate.
        index.upsert(id: "far", vector: Self.lift(Self.unit([-1, 0.1, 0, 0])), passages: [Self.lift(Self.unit([-1, 0, 0.1, 0]))])

        // By whole papers alone "precise" comes third...
        #expect(index.search(query, k: 4, mode: .exact).map { index.externalID(of: $0.doc) } == ["old", "broad", "precise", "far"])
        // ...with sentences it comes first: 0.7 + 1.5 × 1 against 0.85 × 2.5 and 0.8 + 1.5 × 0.8.
        let ranked = index.searchWithPassages(query, k: 3, depth: 3)
        #expect(ranked.map { index.externalID(of: $0.doc) } == ["precise", "old", "broad"])
        let precise = try #require(ranked.first)
        #expect(abs(precise.score - (0.7 + DenseIndex.passageWeight * 1)) < 0.05)
        #expect(abs(ranked[1].score - 0.85 * (1 + DenseIndex.passageWeight)) < 0.05)
        #expect(abs(ranked[2].score - 0.8 * (1 + DenseIndex.passageWeight)) < 0.05)

        let far = try #require(index.internalID(of: "far"))
        let withLexical = index.searchWithPassages(query, k: 4, depth: 3, including: [far])
        #expect(withLexical.map { index.externalID(of: $0.doc) } == ["precise", "old", "broad", "far"])
        #expect(withLexical[3].score < 0)
        // Filters apply to the lexical candidates as well.
        let filtered = index.searchWithPassages(query, k: 4, depth: 3, including: [far], filter: { $0 != far })
        #expect(!filtered.contains { $0.doc == far })
    }

    @Test func replacingAPaperReplacesItsSentences() {
        let (x, y, z, w) = (Self.basis[0], Self.basis[1], Self.basis[2], Self.basis[3])
        var index = DenseIndex(dimension: 384)
        index.upsert(id: "p", vector: x, passages: [y])
        #expect(abs(index.bestPassageScore(y, doc: 0)! - 1) < 0.05)
        index.upsert(id: "p", vector: x, passages: [z, w])
        #expect(abs(index.bestPassageScore(y, doc: 0)!) < 0.05)
        #expect(abs(index.bestPassageScore(w, doc: 0)! - 1) < 0.05)
        index.upsert(id: "p", vector: x)
        #expect(index.bestPassageScore(w, doc: 0) == nil)
    }
}
