import Foundation
import MiniLM
import Testing

/// Loading the weights takes a moment: share one embedder of each precision across the suite.
private let sharedEmbedders = Result {
    try MiniLMEmbedder.Precision.allCases.map { try MiniLMEmbedder(modelDirectory: TestSupport.modelDirectory, precision: $0) }
}

@Suite struct MiniLMEmbedderTests {
    let exact: MiniLMEmbedder
    let int8: MiniLMEmbedder

    init() throws {
        _ = try TestSupport.requireModelFile("model.safetensors")
        let embedders = try sharedEmbedders.get()
        exact = embedders.first { $0.precision == .float32 }!
        int8 = embedders.first { $0.precision == .int8 }!
    }

    @Test func defaultsToTheDefaultPrecision() throws {
        #expect(try MiniLMEmbedder(modelDirectory: TestSupport.modelDirectory).precision == MiniLMEmbedder.defaultPrecision)
    }

    @Test func matchesTheReferenceEmbeddings() throws {
        let cases = try TestSupport.loadFixture("embedding-cases.json", as: [EmbeddingCase].self)
        #expect(cases.count >= 5)
        let vectors = exact.embed(batch: cases.map(\.text))
        for (fixture, vector) in zip(cases, vectors) {
            #expect(vector.count == MiniLMEmbedder.dimension)
            let similarity = cosine(vector, fixture.embedding)
            #expect(similarity >= 0.9999, "cosine \(similarity) for \(fixture.testDescription)")
            let largestDifference = zip(vector, fixture.embedding).map { abs($0 - $1) }.max() ?? 0
            #expect(largestDifference < 1e-4, "component off by \(largestDifference) for \(fixture.testDescription)")
        }
    }

    /// The int8 path's vectors stay close to the reference ones: cosine ≥ 0.995 on each case.
    @Test func int8StaysCloseToTheReferenceEmbeddings() throws {
        let cases = try TestSupport.loadFixture("embedding-cases.json", as: [EmbeddingCase].self)
        let vectors = int8.embed(batch: cases.map(\.text))
        for (fixture, vector) in zip(cases, vectors) {
            let similarity = cosine(vector, fixture.embedding)
            #expect(similarity >= 0.995, "cosine \(similarity) for \(fixture.testDescription)")
        }
    }

    @Test(arguments: MiniLMEmbedder.Precision.allCases)
    func producesUnitVectors(precision: MiniLMEmbedder.Precision) {
        let embedder = precision == .int8 ? int8 : exact
        for text in ["", "a", "Graph neural networks for molecules"] {
            let vector = embedder.embed(text)
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test(arguments: MiniLMEmbedder.Precision.allCases)
    func batchEqualsOneByOne(precision: MiniLMEmbedder.Precision) {
        let embedder = precision == .int8 ? int8 : exact
        let texts = ["first text", "", "a much longer second text about transformers and attention", "第三"]
        let batch = embedder.embed(batch: texts)
        #expect(batch.count == texts.count)
        for (text, vector) in zip(texts, batch) {
            #expect(vector == embedder.embed(text))
        }
        #expect(embedder.embed(batch: []).isEmpty)
    }

    @Test(arguments: MiniLMEmbedder.Precision.allCases)
    func ranksRelatedTextsAboveUnrelatedOnes(precision: MiniLMEmbedder.Precision) {
        let embedder = precision == .int8 ? int8 : exact
        let query = embedder.embed("neural networks for image classification")
        let related = embedder.embed("Deep convolutional networks recognise objects in photographs.")
        let unrelated = embedder.embed("The recipe needs two eggs and a cup of flour.")
        #expect(dot(query, related) > dot(query, unrelated) + 0.2)
    }

    @Test(arguments: MiniLMEmbedder.Precision.allCases)
    func truncatesLongTextsLikeTheTokenizer(precision: MiniLMEmbedder.Precision) {
        let embedder = precision == .int8 ? int8 : exact
        let long = String(repeating: "sparse retrieval with learned term weights ", count: 100)
        let longer = long + String(repeating: "completely different topic: cooking pasta ", count: 50)
        #expect(embedder.embed(long) == embedder.embed(longer))
    }
}

private func dot(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

private func cosine(_ a: [Float], _ b: [Float]) -> Float {
    dot(a, b) / (dot(a, a).squareRoot() * dot(b, b).squareRoot())
}
