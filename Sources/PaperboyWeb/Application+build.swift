import Foundation
import Hummingbird
import Logging
import PaperboyCore
import PaperboyStore

/// Builds the whole web application. `paperboy serve` and the tests call this same function.
public func buildApplication(
    configuration: AppConfiguration,
    store: any PaperStore,
    clock: any WallClock = SystemClock(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(configuration: configuration, store: store, clock: clock)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "Paperboy"),
        logger: logger)
}

/// The router alone, for tests that drive it without a socket.
public func buildRouter(
    configuration: AppConfiguration, store: any PaperStore, clock: any WallClock
) async throws -> Router<BasicRequestContext> {
    let renderer = try await PageRenderer()
    let feed = FeedService(store: store, clock: clock, trendingWindowDays: configuration.trendingWindowDays)
    let cache = ResponseCache(store: store)
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: ErrorMiddleware(renderer: renderer))

    PageRoutes(feed: feed, renderer: renderer, cache: cache).register(on: router)
    APIRoutes(feed: feed, cache: cache, publicURL: configuration.publicURL).register(on: router)
    try OperationsRoutes(store: store).register(on: router)
    return router
}
