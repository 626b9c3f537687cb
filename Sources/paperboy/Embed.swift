import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyIngest

/// `paperboy embed`: compute the embeddings papers are missing (whole paper and each sentence of
/// the abstract), or all of them.
struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute missing paper embeddings for semantic search (the server also does this in the background)."
    )

    @OptionGroup var options: StoreOptions

    @Flag(name: .long, help: "Recompute every embedding, not only the missing ones.")
    var all = false

    func run() async throws {
        let settings = try await options.settings()
        let store = try await settings.openStore()
        let embedder: MiniLMTextEmbedder
        switch settings.loadEmbedder() {
        case .success(let loaded): embedder = loaded
        case .failure(let error): throw CommandFailure("\(error)")
        }
        if all { try await store.deleteEmbeddings(model: embedder.modelName) }
        let logger = settings.makeLogger("paperboy")
        let progress = EmbeddingProgress()
        let backfill = EmbeddingBackfill(store: store, embedder: embedder, engine: nil, progress: progress, logger: logger)
        let started = Date()
        let total = try await store.statistics().papers
        let bar = ProgressBar(label: "embedding", total: total)
        let embedded = try await backfill.runOnce { snapshot in
            bar.update(snapshot.embedded, detail: "\(snapshot.embedded)/\(snapshot.total) (\(String(format: "%.1f", snapshot.papersPerSecond))/s)")
        }
        bar.finish()
        let seconds = Date().timeIntervalSince(started)
        print(
            "embedded=\(embedded) total=\(total) seconds=\(String(format: "%.1f", seconds)) papers_per_second=\(String(format: "%.1f", Double(embedded) / max(seconds, 0.001)))"
        )
    }
}
