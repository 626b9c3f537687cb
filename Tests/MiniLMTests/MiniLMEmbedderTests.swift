import Foundation
import MiniLM
import Testing

/// Loading the weights takes a moment: share one embedder across the suite.
private let sharedEmbedder = Result { try MiniLMEmbedder(modelDirectory: TestSupport.modelDirectory) }

@Suite struct MiniLMEmbedderTests {
    let embedder: MiniLMEmbedder

    init() throws {
        _ = try TestSupport.requireModelFile("model.safetensors")
        embedder = try sharedEmbedder.get()
    }

    @Test func matchesTheReferenceEmbeddings() throws {
        let cases = try TestSupport.loadFixture("embedding-cases.json", as: [EmbeddingCase].self)
        #expect(cases.count >= 5)
        let vectors = embedder.embed(batch: cases.map(\.text))
        for (fixture, vector) in zip(cases, vectors) {
            #expect(vector.count == MiniLMEmbedder.dimension)
            let similarity = cosine(vector, fixture.embedding)
            #expect(similarity >= 0.9999, "cosine \(similarity) for \(fixture.testDescription)")
            let largestDifference = zip(vector, fixture.embedding).map { abs($0 - $1) }.max() ?? 0
            #expect(largestDifference < 1e-4, "component off by \(largestDifference) for \(fixture.testDescription)")
        }
    }

    @Test func producesUnitVectors() {
        for text in ["", "a", "Graph neural networks for molecules"] {
            let vector = embedder.embed(text)
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test func batchEqualsOneByOne() {
        let texts = ["first text", "", "a much longer second text about transformers and attention", "第三"]
        let batch = embedder.embed(batch: texts)
        #expect(batch.count == texts.count)
        for (text, vector) in zip(texts, batch) {
            #expect(vector == embedder.embed(text))
        }
        #expect(embedder.embed(batch: []).isEmpty)
    }

    @Test func ranksRelatedTextsAboveUnrelatedOnes() {
        let query = embedder.embed("neural networks for image classification")
        let related = embedder.embed("Deep convolutional networks recognise objects in photographs.")
        let unrelated = embedder.embed("The recipe needs two eggs and a cup of flour.")
        #expect(dot(query, related) > dot(query, unrelated) + 0.2)
    }

    @Test func truncatesLongTextsLikeTheTokenizer() {
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
