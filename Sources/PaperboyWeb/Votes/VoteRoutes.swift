import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp

/// Upvotes: the button on pages (a form, answered with JSON for the script) and the API
/// (`POST`/`DELETE /api/papers/{id}/upvote` with a bearer token), both through `VoteService`.
struct VoteRoutes: Sendable {
    let votes: VoteService
    let accounts: AccountService
    let forms: AccountRoutes

    func register(on router: Router<AppRequestContext>) {
        router.post("/papers/:id/upvote") { request, context in try await vote(request, context) }
        router.post("/api/papers/:id/upvote") { request, context in try await apiVote(request, context, add: true) }
        router.delete("/api/papers/:id/upvote") { request, context in try await apiVote(request, context, add: false) }
    }

    func vote(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (session, form) = try await forms.verifiedForm(VoteForm.self, request, context)
        guard let reader = session.reader else {
            return forms.redirect(to: "/login?next=\(QueryString.encode("/papers/\(id)"))", cookie: nil)
        }
        let outcome = try await votes.vote(id, by: reader, add: form.action != "remove")
        if request.headers[.accept]?.contains("application/json") == true {
            return try JSONResponse.make(outcome)
        }
        return forms.redirect(to: AccountRoutes.safeNext(form.next ?? "/papers/\(outcome.id)"), cookie: nil)
    }

    /// `POST` / `DELETE /api/papers/{id}/upvote` with `Authorization: Bearer TOKEN`.
    func apiVote(_ request: Request, _ context: AppRequestContext, add: Bool) async throws -> Response {
        guard let token = TokenRoutes.bearerToken(request), let reader = try await accounts.reader(forAPIToken: token) else {
            return TokenRoutes.tokenRequired()
        }
        return try JSONResponse.make(try await votes.vote(try context.parameters.require("id"), by: reader, add: add))
    }
}
