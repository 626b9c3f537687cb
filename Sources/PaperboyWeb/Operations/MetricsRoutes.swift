import Hummingbird
import Logging
import NIOCore
import PaperboyApp
import PaperboyStore

/// `GET /metrics` in the Prometheus text format.
///
/// On the public port the route exists only when a token is configured, and then asks for it
/// (`Authorization: Bearer TOKEN`, 401 without); with no token it is not there at all (404).
/// On the separate metrics port (`--metrics-port`) it answers without a token unless one is set.
struct MetricsRoutes: Sendable {
    let metrics: AppMetrics
    let store: any PaperStore
    let search: SearchEngine
    /// The bearer token a scrape must present; nil: none is asked.
    let token: String?

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { request, _ in try await scrape(request) }
    }

    private func scrape(_ request: Request) async throws -> Response {
        if let token, !Self.presents(token, request) {
            return Response(
                status: .unauthorized,
                headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "A valid metrics token is required (Authorization: Bearer TOKEN).\n"))
            )
        }
        // Gauges of state rather than events are read now, so each scrape sees the present.
        metrics.embeddingBacklog.record(max(0, search.paperCount - search.embeddedCount))
        metrics.databaseBytes.record(try await store.storageSize())
        return Response(
            status: .ok,
            headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
        )
    }

    /// Compares digests, in constant time, so neither the token nor its length leaks through timing.
    static func presents(_ token: String, _ request: Request) -> Bool {
        guard let given = TokenRoutes.bearerToken(request) else { return false }
        return SecretTokens.matches(SecretTokens.hash(given), SecretTokens.hash(token))
    }

    /// The server `--metrics-port` runs beside the public one (as one of its services): only
    /// `/metrics`, on the same address, for a Prometheus on the private network.
    func application(hostname: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(hostname, port: port), serverName: "Paperboy"),
            logger: logger
        )
    }
}
