import Foundation
import PaperboyApp
import Synchronization
import Testing

/// The backfill's embedding threads: same vectors as one batch, at the lowest OS priority.
@Suite struct BackgroundEmbeddingTests {
    /// A vector that names its text, and the nice value of every thread that computed one.
    final class RecordingEmbedder: TextEmbedder {
        let modelName = "recording"
        let dimension = 2
        let niceness = Mutex<[Int32]>([])

        func embed(_ text: String) -> [Float] {
            niceness.withLock { $0.append(currentThreadNiceness()) }
            return [Float(text.count), Float(text.unicodeScalars.first?.value ?? 0)]
        }

        func embed(batch: [String]) -> [[Float]] { batch.map(embed) }
    }

    @Test func backgroundThreadsReturnEveryVectorInOrderAtTheLowestPriority() {
        let texts = (0..<40).map { "text \($0) " + String(repeating: "x", count: $0) }
        let embedder = RecordingEmbedder()
        let vectors = embedInBackground(texts, embedder: embedder, threads: 2)
        #expect(vectors == texts.map { [Float($0.count), Float($0.unicodeScalars.first!.value)] })
        let niceness = embedder.niceness.withLock { $0 }
        #expect(niceness.count == texts.count)
        #if os(Linux)
        #expect(niceness.allSatisfy { $0 == backgroundEmbeddingNiceness })
        #expect(currentThreadNiceness() != backgroundEmbeddingNiceness)
        #endif
    }

    @Test func anEmptyBatchNeedsNoThreads() {
        #expect(embedInBackground([], embedder: RecordingEmbedder(), threads: 2).isEmpty)
    }
}
