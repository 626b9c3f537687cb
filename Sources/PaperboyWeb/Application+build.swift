import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyMail
import PaperboyPasswords
import PaperboyStore
import ServiceLifecycle

/// Builds the whole web application. `paperboy serve` and the tests call this same function.
/// - Parameters:
///   - search: the in-memory search engine, already loaded.
///   - clock, random, identity: the time, randomness, and host and process id everything
///     uses; tests pass fixed or seeded ones.
///   - mail: where confirmation and digest emails go; without it subscriptions are kept and
///     their confirmations are owed until a server runs with mail.
///   - services: background work to run beside the server (embedding backfill, index refresh).
///   - changes: other nodes' commits, heard at once (PostgreSQL): the response cache starts over.
///   - metrics: where requests, searches, submissions and digests are counted; `/metrics` shows it.
public func buildApplication(
    configuration: AppConfiguration,
    store: any PaperStore & AccountStore & DigestStore & SyncStore & CurationStore & DiscussionStore & CollectionStore & StoreConnection,
    search: SearchEngine,
    clock: any WallClock = SystemClock(),
    random: any RandomSource = SystemRandomSource(),
    identity: any ProcessIdentity = SystemProcessIdentity(),
    embeddingProgress: EmbeddingProgress = EmbeddingProgress(),
    arxiv: (any ArxivFetching)? = nil,
    mail: DigestMail? = nil,
    services: [any Service] = [],
    changes: StoreChanges? = nil,
    metrics: AppMetrics = AppMetrics(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    var renderer = try await PageRenderer()
    let signer = LinkSigner(secret: try await store.instanceSecret(named: LinkSigner.secretName))
    renderer.subscribeFormToken = signer.subscribeFormToken
    let feed = FeedService(store: store, clock: clock, trendingWindowDays: configuration.trendingWindowDays)
    let searchService = SearchService(
        engine: search,
        store: store,
        admission: SearchAdmission(limits: configuration.searchConcurrency),
        metrics: metrics
    )
    let cache = ResponseCache(store: store, clock: clock)
    changes?.onChange { cache.invalidate() }
    let sessions = SessionCookies(
        service: SessionService(
            store: store,
            clock: clock,
            random: random,
            formSecret: try await store.instanceSecret(named: SessionService.formSecretName)
        ),
        secureCookies: configuration.secureCookies
    )
    let accountService = AccountService(store: store, passwords: BcryptPasswordHasher(cost: configuration.bcryptCost), random: random)
    let votes = VoteService(store: store, onChange: { cache.invalidate() })
    let links = LinkBase(
        publicURL: configuration.publicURL,
        allowedHosts: configuration.allowedHosts,
        listenAddress: "http://\(configuration.hostname):\(configuration.port)"
    )
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    let sharedLimits = store as? any SharedRateLimits
    router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: configuration.publicURL?.hasPrefix("https://") == true))
    router.add(middleware: ForwardedClientMiddleware(trusted: configuration.trustedProxies))
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware(renderer: renderer, routes: routes))
    router.add(
        middleware: RateLimitMiddleware(
            limiter: RateLimiter(policy: configuration.loginRateLimit, clock: clock, shared: sharedLimits, logger: logger)
        ) {
            $0.method == .post && ["/login", "/signup", "/password/forgot", "/password/reset"].contains($0.uri.path)
        }
    )
    let apiLimiter = RateLimiter(policy: configuration.apiRateLimit, clock: clock, shared: sharedLimits, logger: logger)
    router.add(middleware: RateLimitMiddleware(limiter: apiLimiter) { $0.uri.path.hasPrefix("/api/") })
    router.add(
        middleware: RateLimitMiddleware(
            limiter: RateLimiter(policy: configuration.subscribeRateLimit, clock: clock, shared: sharedLimits, logger: logger)
        ) {
            $0.method == .post && $0.uri.path == "/digest/subscribe"
        }
    )
    router.add(middleware: SessionMiddleware(sessions: sessions))

    let submissions = SubmissionService(
        store: store,
        arxiv: arxiv ?? ArxivClient(baseURL: configuration.arxivAPIURL, clock: clock, logger: logger),
        clock: clock,
        maximumAgeDays: configuration.submissionMaxAgeDays,
        dailyLimit: configuration.submissionsPerDay,
        arxivTimeout: configuration.arxivTimeout,
        metrics: metrics,
        onChange: { cache.invalidate() }
    )
    let admin = AdminService(store: store, submissions: submissions, clock: clock, onChange: { cache.invalidate() })
    let discussions = DiscussionService(store: store, clock: clock, onChange: { cache.invalidate() })
    let collections = CollectionService(store: store)
    PageRoutes(
        feed: feed,
        search: searchService,
        accounts: accountService,
        admin: admin,
        discussions: discussions,
        collections: collections,
        renderer: renderer,
        cache: cache
    ).register(on: router)
    let accounts = AccountRoutes(accounts: accountService, sessions: sessions, renderer: renderer, collections: collections)
    accounts.register(on: router)
    DiscussionRoutes(discussions: discussions, accounts: accountService, forms: accounts, renderer: renderer, publicURL: links)
        .register(on: router)
    CollectionRoutes(collections: collections, accounts: accountService, forms: accounts, renderer: renderer, publicURL: links)
        .register(on: router)
    let passwordReset = PasswordResetService(
        store: store,
        passwords: BcryptPasswordHasher(cost: configuration.bcryptCost),
        signer: signer,
        mail: mail,
        clock: clock,
        random: random,
        logger: logger
    )
    PasswordResetRoutes(reset: passwordReset, forms: accounts, publicURL: links).register(on: router)
    VoteRoutes(votes: votes, accounts: accountService, forms: accounts).register(on: router)
    let subscriptions = SubscriptionService(store: store, signer: signer, mail: mail, clock: clock, random: random, logger: logger)
    let digestSettings = try mail?.settings ?? DigestSettings(from: try MailAddress("digest@localhost"), publicURL: configuration.publicURL ?? "")
    let composer = DigestComposer(
        store: store,
        engine: search,
        templates: try DigestTemplates(),
        signer: signer,
        settings: digestSettings,
        trendingWindowDays: configuration.trendingWindowDays,
        random: random
    )
    DigestRoutes(
        subscriptions: subscriptions,
        composer: composer,
        accounts: accounts,
        renderer: renderer,
        signer: signer,
        clock: clock,
        publicURL: links
    ).register(on: router)
    var services = services
    if sharedLimits != nil, case .reported = configuration.apiRateLimit.sharing { services.append(apiLimiter) }
    if let mail, let sendAt = configuration.digestSendAt {
        let sender = DigestSender(
            store: store,
            composer: composer,
            transports: mail.transports,
            policy: configuration.deliveryPolicy,
            clock: clock,
            random: random,
            identity: identity,
            metrics: metrics,
            logger: logger
        )
        services.append(
            DigestScheduler(
                sender: sender,
                subscriptions: subscriptions,
                sendAt: sendAt,
                interval: configuration.digestCheckInterval,
                clock: clock,
                logger: logger
            )
        )
    }
    TokenRoutes(accounts: accountService, forms: accounts, renderer: renderer, publicURL: links, canSendMail: mail != nil)
        .register(on: router)
    ForYouRoutes(forYou: ForYouService(store: store, engine: search), accounts: accountService, renderer: renderer).register(on: router)
    SubmissionRoutes(submissions: submissions, accounts: accountService, forms: accounts, renderer: renderer).register(on: router)
    APIRoutes(feed: feed, cache: cache, publicURL: links).register(on: router)
    SearchRoutes(search: searchService, feed: feed, renderer: renderer).register(on: router)
    AtomFeedRoutes(feed: feed, search: searchService, publicURL: links).register(on: router)
    let metricsRoutes = MetricsRoutes(metrics: metrics, store: store, search: search, token: configuration.metricsToken)
    if configuration.metricsToken != nil { metricsRoutes.register(on: router) }
    if let port = configuration.metricsPort {
        services.append(metricsRoutes.application(hostname: configuration.hostname, port: port, logger: logger))
    }
    let health = HealthService(
        store: store,
        search: search,
        embeddingProgress: embeddingProgress,
        clock: clock,
        mailConfigured: mail != nil,
        digestSendAt: mail == nil ? nil : configuration.digestSendAt
    )
    try OperationsRoutes(health: health).register(on: router)
    AdminRoutes(admin: admin, health: health, forms: accounts, renderer: renderer, clock: clock).register(on: router)
    // Last: serving the OpenAPI document checks every /api route registered above against it.
    try OpenAPIDocument().register(on: router)
    routes.record(router.routes.map { ($0.path.description, $0.method.rawValue) })
    let limits = configuration.connectionLimits
    return Application(
        router: router,
        server: .guardedHTTP1(limits: limits, registry: ConnectionRegistry(maximum: limits.maximumConnections)),
        configuration: .init(
            address: .hostname(configuration.hostname, port: configuration.port),
            serverName: "Paperboy",
            availableConnectionsDelegate: MaximumAvailableConnections(limits.acceptLimit)
        ),
        services: services,
        logger: logger
    )
}
