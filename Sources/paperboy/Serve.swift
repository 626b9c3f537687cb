import ArgumentParser
import Foundation
import Hummingbird
import PaperboyApp
import PaperboyCore
import PaperboyWeb
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web pages and the JSON API.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var limits: ServerLimitOptions

    @Option(name: .long, help: "When to send the daily digest, HH:MM UTC, or 'off' (env PAPERBOY_DIGEST_TIME, default 07:00; needs --smtp-url).")
    var digestTime: String?

    @Option(name: .long, help: "Address to listen on (env PAPERBOY_HOSTNAME, default 127.0.0.1).")
    var hostname: String?

    @Option(name: .long, help: "Port to listen on (env PAPERBOY_PORT, default 8080).")
    var port: Int?

    @Option(name: .long, help: "API requests allowed per minute per token or address (env PAPERBOY_API_RATE_LIMIT, default 600).")
    var apiRateLimit: Int?

    @Option(name: .long, help: "Log-in and sign-up attempts allowed per minute per address (env PAPERBOY_LOGIN_RATE_LIMIT, default 10).")
    var loginRateLimit: Int?

    @Option(name: .long, help: "Oldest paper, in days since publication, readers may submit (env PAPERBOY_SUBMISSION_MAX_AGE_DAYS, default 14).")
    var submissionMaxAgeDays: Int?

    @Option(name: .long, help: "Submissions per reader per day (env PAPERBOY_SUBMISSIONS_PER_DAY, default 5).")
    var submissionsPerDay: Int?

    @Option(name: .customLong("arxiv-api-url"), help: "arXiv API endpoint for submissions (env PAPERBOY_ARXIV_API_URL).")
    var arxivAPIURL: String?

    @Flag(name: .long, help: "Do not compute missing embeddings in the background.")
    var noEmbed = false

    @Option(name: .long, help: "Absolute base URL for generated links, e.g. https://papers.example.org (env PAPERBOY_PUBLIC_URL).")
    var publicURL: String?

    @Option(
        name: .long,
        help:
            "Comma-separated IP addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env PAPERBOY_TRUSTED_PROXIES, default none)."
    )
    var trustedProxies: String?

    @Option(
        name: .long,
        help:
            "Bearer token /metrics asks for on the public port, which has no /metrics without one (env PAPERBOY_METRICS_TOKEN, better: a flag shows in ps)."
    )
    var metricsToken: String?

    @Option(
        name: .long,
        help: "Also serve /metrics on this port of the same address, without a token unless one is set (env PAPERBOY_METRICS_PORT, default off)."
    )
    var metricsPort: Int?

    func validate() throws {
        for (name, value) in [
            ("--api-rate-limit", apiRateLimit), ("--login-rate-limit", loginRateLimit), ("--submissions-per-day", submissionsPerDay),
            ("--submission-max-age-days", submissionMaxAgeDays),
        ] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
        if let metricsPort, !(1...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 1 to 65535") }
        if let digestTime, digestTime != "off", Self.minutes(digestTime) == nil {
            throw ValidationError("--digest-time must be HH:MM (UTC) or off")
        }
        if let trustedProxies {
            do { _ = try TrustedProxies(list: trustedProxies) } catch { throw ValidationError("--trusted-proxies: \(error)") }
        }
    }

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
        let environment = ProcessInfo.processInfo.environment
        let digestTime = digestTime ?? environment["PAPERBOY_DIGEST_TIME"] ?? "07:00"
        let proxies: TrustedProxies
        do {
            proxies = try TrustedProxies(list: trustedProxies ?? environment["PAPERBOY_TRUSTED_PROXIES"] ?? "")
        } catch {
            throw CommandFailure("PAPERBOY_TRUSTED_PROXIES: \(error)")
        }
        var configuration = AppConfiguration(
            hostname: hostname ?? environment["PAPERBOY_HOSTNAME"] ?? "127.0.0.1",
            port: port ?? environment["PAPERBOY_PORT"].flatMap(Int.init) ?? 8080,
            databasePath: options.databasePath,
            logLevel: options.level,
            publicURL: publicURL ?? environment["PAPERBOY_PUBLIC_URL"],
            loginRateLimit: .init(
                name: "login",
                quota: loginRateLimit ?? environment["PAPERBOY_LOGIN_RATE_LIMIT"].flatMap(Int.init) ?? 10,
                window: 60
            ),
            apiRateLimit: .init(
                name: "api",
                quota: apiRateLimit ?? environment["PAPERBOY_API_RATE_LIMIT"].flatMap(Int.init) ?? 600,
                window: 60
            ),
            arxivAPIURL: arxivAPIURL ?? environment["PAPERBOY_ARXIV_API_URL"] ?? "https://export.arxiv.org/api/query",
            submissionMaxAgeDays: submissionMaxAgeDays ?? environment["PAPERBOY_SUBMISSION_MAX_AGE_DAYS"].flatMap(Int.init) ?? 14,
            submissionsPerDay: submissionsPerDay ?? environment["PAPERBOY_SUBMISSIONS_PER_DAY"].flatMap(Int.init) ?? 5,
            digestSendAt: digestTime == "off" ? nil : Self.minutes(digestTime),
            trustedProxies: proxies
        )
        configuration.metricsToken = (metricsToken ?? environment["PAPERBOY_METRICS_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        configuration.metricsPort = metricsPort ?? environment["PAPERBOY_METRICS_PORT"].flatMap(Int.init)
        limits.apply(to: &configuration)
        let logger = options.makeLogger("paperboy")
        let store = try options.openStore()
        let mail = try mail.makeMail(
            publicURL: configuration.publicURL ?? "http://\(configuration.hostname):\(configuration.port)",
            logger: logger
        )
        if mail == nil {
            logger.notice("no mail server configured (--smtp-url): subscriptions are kept, no email is sent")
        }

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

extension ServerLimitOptions {
    /// Writes these limits into `configuration`.
    func apply(to configuration: inout AppConfiguration) {
        var limits = ConnectionLimits()
        if let seconds = integer(headerTimeout, "PAPERBOY_HEADER_TIMEOUT") { limits.headerTimeout = .seconds(Int64(seconds)) }
        if let seconds = integer(bodyTimeout, "PAPERBOY_BODY_TIMEOUT") { limits.bodyTimeout = .seconds(Int64(seconds)) }
        if let seconds = integer(idleTimeout, "PAPERBOY_IDLE_TIMEOUT") { limits.idleTimeout = .seconds(Int64(seconds)) }
        if let count = integer(maxConnections, "PAPERBOY_MAX_CONNECTIONS") { limits.maximumConnections = count }
        configuration.connectionLimits = limits
        if let seconds = integer(arxivTimeout, "PAPERBOY_ARXIV_TIMEOUT") { configuration.arxivTimeout = .seconds(seconds) }
        configuration.searchConcurrency = SearchAdmission.Limits(
            concurrent: integer(searchConcurrency, "PAPERBOY_SEARCH_CONCURRENCY") ?? ProcessInfo.processInfo.activeProcessorCount,
            queued: integer(searchQueue, "PAPERBOY_SEARCH_QUEUE")
        )
        let hosts = allowedHosts ?? environment["PAPERBOY_ALLOWED_HOSTS"] ?? ""
        configuration.allowedHosts = hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
