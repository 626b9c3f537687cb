import Foundation
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// Health, liveness and static assets.
struct OperationsRoutes: Sendable {
    let health: HealthService

    func register(on router: Router<AppRequestContext>) throws {
        for (name, type) in [
            ("style.css", "text/css; charset=utf-8"), ("suggest.js", "text/javascript; charset=utf-8"),
            ("upvote.js", "text/javascript; charset=utf-8"),
        ] {
            guard let path = WebResources.path(name, in: "static"), let bytes = FileManager.default.contents(atPath: path) else {
                throw PageRenderer.RendererError.missingStylesheet
            }
            let body = ByteBuffer(bytes: bytes)
            router.get("/static/\(name)") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
                    body: .init(byteBuffer: body)
                )
            }
        }
        // The cheapest possible route: liveness probes, and the yardstick in BENCHMARKS.md.
        router.get("/ping") { _, _ in "pong" }
        router.get("/healthz") { _, _ in
            try JSONResponse.make(try await health.health())
        }
    }
}
