import ArgumentParser
import Foundation
import Hummingbird
import PaperboyApp
import PaperboyCore
import PaperboyStore
import PaperboyWeb
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web pages and the JSON API.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var limits: ServerLimitOptions
    @OptionGroup var server: ServeOptions
    @OptionGroup var sync: SyncOptions

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
        let settings = try await options.settings(for: .serve, mail.flags, limits.flags, server.flags, sync.flags)
        let configuration = try settings.appConfiguration()
        let logger = settings.makeLogger("paperboy")
        let store = try await settings.openStore()
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
        let indexFile = settings.searchIndexFile
        let search = SearchEngine(store: store, embedder: embedder, indexFile: indexFile, logger: logger)
        try await search.load()
        let progress = EmbeddingProgress()
        let refresher = SearchIndexRefresher(engine: search, store: store, logger: logger)
        var services: [any Service] = [refresher]
        if let indexFile { services.append(SearchIndexKeeper(engine: search, path: indexFile, logger: logger)) }
        // Several nodes on one PostgreSQL: each hears the others' commits at once.
        var changes: StoreChanges?
        if let notifying = store as? any ChangeNotifying {
            let listener = StoreChanges(store: notifying, logger: logger)
            listener.onChange { refresher.wakeup.signal() }
            services.append(listener)
            changes = listener
        }
        if let embedder, !noEmbed {
            services.append(EmbeddingBackfill(store: store, embedder: embedder, engine: search, progress: progress, logger: logger))
        }
        let syncJobs = settings.syncJobs(store: store, clock: SystemClock(), logger: logger)
        if !syncJobs.isEmpty {
            services.append(
                SyncScheduler(
                    jobs: syncJobs,
                    runner: SyncRunner(store: store, clock: SystemClock()),
                    store: store,
                    clock: SystemClock(),
                    random: SystemRandomSource(),
                    logger: logger
                )
            )
        }
        let app = try await buildApplication(
            configuration: configuration,
            store: store,
            search: search,
            embeddingProgress: progress,
            mail: mail,
            services: services,
            changes: changes,
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

extension EffectiveSettings {
    /// The server's configuration; every value has passed the catalog's checks.
    func appConfiguration() throws -> AppConfiguration {
        let digestTime = string(.digestTime)
        var configuration = AppConfiguration(
            hostname: string(.hostname),
            port: int(.port),
            databasePath: databasePath,
            logLevel: level,
            publicURL: optionalString(.publicURL),
            loginRateLimit: .init(name: "login", quota: int(.loginRateLimit), window: 60),
            apiRateLimit: .init(name: "api", quota: int(.apiRateLimit), window: 60, sharing: .reported(interval: 0.25)),
            arxivAPIURL: string(.arxivAPIURL),
            submissionMaxAgeDays: int(.submissionMaxAgeDays),
            submissionsPerDay: int(.submissionsPerDay),
            digestSendAt: digestTime == "off" ? nil : Serve.minutes(digestTime),
            trustedProxies: try TrustedProxies(list: optionalString(.trustedProxies) ?? "")
        )
        configuration.metricsToken = optionalString(.metricsToken).flatMap { $0.isEmpty ? nil : $0 }
        configuration.metricsPort = optionalInt(.metricsPort)
        configuration.digestCheckInterval = .seconds(int(.digestCheckInterval))
        applyLimits(to: &configuration)
        return configuration
    }
}

extension EffectiveSettings {
    /// Writes the limits into `configuration`.
    func applyLimits(to configuration: inout AppConfiguration) {
        configuration.connectionLimits = ConnectionLimits(
            headerTimeout: .seconds(Int64(int(.headerTimeout))),
            bodyTimeout: .seconds(Int64(int(.bodyTimeout))),
            idleTimeout: .seconds(Int64(int(.idleTimeout))),
            maximumConnections: int(.maxConnections)
        )
        configuration.arxivTimeout = .seconds(int(.arxivTimeout))
        configuration.searchConcurrency = SearchAdmission.Limits(concurrent: int(.searchConcurrency), queued: int(.searchQueue))
        let hosts = optionalString(.allowedHosts) ?? ""
        configuration.allowedHosts = hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
