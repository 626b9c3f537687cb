import ArgumentParser
import Foundation
import Hummingbird
import PaperboyCore
import PaperboyWeb
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web pages and the JSON API.")

    @OptionGroup var options: StoreOptions

    @Option(name: .long, help: "Address to listen on (env PAPERBOY_HOSTNAME, default 127.0.0.1).")
    var hostname: String?

    @Option(name: .long, help: "Port to listen on (env PAPERBOY_PORT, default 8080).")
    var port: Int?

    @Flag(name: .long, help: "Do not compute missing embeddings in the background.")
    var noEmbed = false

    @Option(name: .long, help: "Absolute base URL for generated links, e.g. https://papers.example.org (env PAPERBOY_PUBLIC_URL).")
    var publicURL: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = AppConfiguration(
            hostname: hostname ?? environment["PAPERBOY_HOSTNAME"] ?? "127.0.0.1",
            port: port ?? environment["PAPERBOY_PORT"].flatMap(Int.init) ?? 8080,
            databasePath: options.databasePath,
            logLevel: options.level,
            publicURL: publicURL ?? environment["PAPERBOY_PUBLIC_URL"])
        let logger = options.makeLogger("paperboy")
        let store = try options.openStore()

        // One thread for background embedding leaves the other core to requests.
        var embedder: MiniLMTextEmbedder?
        switch options.loadEmbedder(maximumConcurrency: 1) {
        case .success(let loaded): embedder = loaded
        case .failure(let error):
            logger.warning("semantic search is off: \(error)")
        }
        let search = SearchEngine(store: store, embedder: embedder, logger: logger)
        try await search.load()
        let progress = EmbeddingProgress()
        var services: [any Service] = [SearchIndexRefresher(engine: search, store: store, logger: logger)]
        if let embedder, !noEmbed {
            services.append(EmbeddingBackfill(store: store, embedder: embedder, engine: search, progress: progress, logger: logger))
        }
        let app = try await buildApplication(
            configuration: configuration, store: store, search: search, embeddingProgress: progress,
            services: services, logger: logger)
        // runService installs SIGTERM/SIGINT handlers: in-flight requests finish, then we exit.
        try await app.runService()
    }
}
