import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// `/papers/for-you`: recent papers nearest to the embeddings of the reader's upvotes, leaving
/// out what the reader upvoted or was already sent in a digest.
struct ForYouRoutes: Sendable {
    let forYou: ForYouService
    let accounts: AccountService
    let renderer: PageRenderer

    func register(on router: Router<AppRequestContext>) {
        router.get("/papers/for-you") { _, context in
            guard let session = context.session, let reader = session.reader else {
                return Response(status: .seeOther, headers: [.location: "/login?next=/papers/for-you"])
            }
            let result = try await forYou.picks(for: reader)
            let viewer = PageRenderer.Viewer(
                reader: reader,
                csrf: session.csrfToken,
                upvoted: try await accounts.upvoted(by: reader, among: result.picks.map(\.paper.id)),
                returnTo: "/papers/for-you"
            )
            let cards = result.picks.map { pick -> [String: Any] in
                let paper = pick.paper
                var card = renderer.card(
                    DailyEntry(day: paper.publishedDay ?? FeedDay(daysSinceEpoch: 0), paper: paper, upvotes: paper.upvotes),
                    viewer: viewer
                )
                card["becauseID"] = pick.becauseID
                card["becauseTitle"] = pick.becauseTitle
                return card
            }
            let empty =
                !result.hasUpvotes
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
