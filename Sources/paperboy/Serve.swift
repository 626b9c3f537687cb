import ArgumentParser
import Foundation
import Hummingbird
import PaperboyCore
import PaperboyWeb
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web pages and the JSON API.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var limits: ServerLimitOptions
    @OptionGroup var server: ServeOptions

    @Flag(name: .long, help: "Do not compute missing embeddings in the background.")
    var noEmbed = false

    /// `HH:MM` as minutes after midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
            (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    func run() async throws {
        #if os(Linux)
        // glibc gives each thread that allocates its own arena (up to 8 per core), and memory
        // freed in one is not reused by another: two arenas keep the server's RSS ~20 MB lower
        // with the same speed (BENCHMARKS.md).
        _ = paperboy_mallopt(mallocArenaMaximum, 2)
        #endif
        let settings = try await options.settings(for: .serve, mail.flags, limits.flags, server.flags)
        let configuration = try settings.appConfiguration()
        let logger = settings.makeLogger("paperboy")
        let store = try settings.openStore()
        let mail = try settings.makeMail(
            publicURL: configuration.publicURL ?? "http://\(configuration.hostname):\(configuration.port)",
            logger: logger
        )
        if mail == nil {
            logger.notice("no mail server configured (--smtp-url): subscriptions are kept, no email is sent")
        }

        // One thread for background embedding leaves the other core to requests.
        var embedder: MiniLMTextEmbedder?
        switch settings.loadEmbedder(maximumConcurrency: 1) {
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
            configuration: configuration,
            store: store,
            search: search,
            embeddingProgress: progress,
            mail: mail,
            services: services,
            logger: logger
        )
        // runService installs SIGTERM/SIGINT handlers: in-flight requests finish, then we exit.
        try await app.runService()
    }
}

#if os(Linux)
/// glibc's `mallopt` and its M_ARENA_MAX parameter (from <malloc.h>, which the Glibc module does
/// not export).
@_silgen_name("mallopt")
private func paperboy_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let mallocArenaMaximum: Int32 = -8
#endif
