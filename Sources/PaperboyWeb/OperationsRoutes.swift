import Foundation
import Hummingbird
import NIOCore
import PaperboyStore

/// Health, liveness and static assets.
struct OperationsRoutes: Sendable {
    let store: any PaperStore

    func register(on router: Router<BasicRequestContext>) throws {
        guard let cssPath = WebResources.path("style.css", in: "static"),
            let css = FileManager.default.contents(atPath: cssPath)
        else { throw PageRenderer.RendererError.missingStylesheet }
        let stylesheet = ByteBuffer(bytes: css)

        router.get("/static/style.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: stylesheet))
        }
        // The cheapest possible route: liveness probes, and the yardstick in BENCHMARKS.md.
        router.get("/ping") { _, _ in "pong" }
        router.get("/healthz") { _, _ in
            let statistics = try await store.statistics()
            let body: [String: Any] = [
                "status": "ok", "papers": statistics.papers, "feedDays": statistics.feedDays,
                "dailyEntries": statistics.entries,
            ]
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
