import Foundation
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// Health, liveness and static assets.
struct OperationsRoutes: Sendable {
    let store: any PaperStore & DigestStore
    let search: SearchEngine
    let embeddingProgress: EmbeddingProgress
    let clock: any WallClock
    /// Whether this server has a mail server and sends the digest itself.
    let mailConfigured: Bool
    let digestSendAt: Int?

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
            let statistics = try await store.statistics()
            let embeddings = embeddingProgress.snapshot
            let today = FeedDay(timestamp: clock.now)
            let subscribers = try await store.subscriberCounts()
            let deliveries = try await store.deliveryCounts(date: today)
            var digest: [String: Any] = [
                "mail": mailConfigured,
                "subscribers": Dictionary(uniqueKeysWithValues: SubscriberState.allCases.map { ($0.rawValue, subscribers[$0, default: 0]) }),
                "today": [
                    "date": today.description,
                    "deliveries": Dictionary(uniqueKeysWithValues: DeliveryState.allCases.map { ($0.rawValue, deliveries[$0, default: 0]) }),
                ] as [String: Any],
            ]
            if let sendAt = digestSendAt { digest["sendsAtUTC"] = String(format: "%02d:%02d", sendAt / 60, sendAt % 60) }
            let body: [String: Any] = [
                "digest": digest,
                "status": "ok", "papers": statistics.papers, "feedDays": statistics.feedDays,
                "dailyEntries": statistics.entries,
                "search": [
                    "indexedPapers": search.paperCount,
                    "embeddedPapers": search.embeddedCount,
                    "sentenceVectors": search.passageCount,
                    "semantic": search.embedder != nil,
                ] as [String: Any],
                "embeddingBackfill": [
                    "running": embeddings.running, "embedded": embeddings.embedded, "total": embeddings.total,
                    "papersPerSecond": (embeddings.papersPerSecond * 10).rounded() / 10,
                ] as [String: Any],
            ]
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
