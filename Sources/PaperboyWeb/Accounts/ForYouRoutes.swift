import Hummingbird
import NIOCore
import PaperboyCore
import PaperboyStore

/// `/papers/for-you`: recent papers nearest to the embeddings of the reader's upvotes, leaving
/// out what the reader upvoted or was already sent in a digest.
struct ForYouRoutes: Sendable {
    let store: any AccountStore & PaperStore & DigestStore
    let engine: SearchEngine
    let renderer: PageRenderer
    /// How far back "recent" reaches, from the latest feed day.
    var recentDays = 30

    func register(on router: Router<AppRequestContext>) {
        router.get("/papers/for-you") { _, context in
            guard let session = context.session, let reader = session.reader else {
                return Response(status: .seeOther, headers: [.location: "/login?next=/papers/for-you"])
            }
            let upvoted = try await store.upvotedPapers(by: reader.id, limit: 200)
            let latest = try await store.latestFeedDay()
            var seen = Set(upvoted.map(\.id))
            if let subscriber = try await store.subscriber(forUser: reader.id, email: reader.email) {
                seen.formUnion(try await store.sentPaperIDs(subscriberIDs: [subscriber.id])[subscriber.id] ?? [])
            }
            let picks = engine.recommendations(
                forUpvoted: upvoted.map(\.id),
                excluding: seen,
                since: latest?.adding(days: -recentDays),
                limit: 30
            )
            let papers = try await store.papers(ids: picks.map(\.id))
            let titles = Dictionary(upvoted.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
            let because = Dictionary(picks.map { ($0.id, $0.because) }, uniquingKeysWith: { first, _ in first })
            let viewer = PageRenderer.Viewer(
                reader: reader,
                csrf: session.csrfToken,
                upvoted: try await store.upvotedPaperIDs(by: reader.id, among: papers.map(\.id)),
                returnTo: "/papers/for-you"
            )
            let cards = papers.map { paper -> [String: Any] in
                var card = renderer.card(
                    DailyEntry(day: paper.publishedDay ?? FeedDay(daysSinceEpoch: 0), paper: paper, upvotes: paper.upvotes),
                    viewer: viewer
                )
                let source = because[paper.id] ?? ""
                card["becauseID"] = source
                card["becauseTitle"] = titles[source] ?? source
                return card
            }
            let empty =
                upvoted.isEmpty
                ? "Upvote a few papers and this page fills with recent papers like them."
                : "Your picks appear once the papers you upvoted have embeddings (computed in the background)."
            let html = try renderer.render("for-you", ["pageTitle": "For you", "cards": cards, "emptyMessage": empty], viewer: viewer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
                body: .init(byteBuffer: ByteBuffer(string: html))
            )
        }
    }
}
