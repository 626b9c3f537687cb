import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import PaperboyCore
import PaperboyStore

/// The settings page (API tokens) and the token-authenticated upvote API.
struct TokenRoutes: Sendable {
    let store: any AccountStore & PaperStore & DigestStore
    let accounts: AccountRoutes
    let renderer: PageRenderer
    let cache: ResponseCache
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.get("/settings") { request, context in try await settingsPage(request, context) }
        router.post("/settings/tokens") { request, context in
            let (session, form) = try await accounts.verifiedForm(request, context)
            let reader = try Self.loggedIn(session)
            let name = (form.get("name") ?? "").trimmingWhitespace()
            guard (1...60).contains(name.count) else { throw AppError.badRequest("Give the token a name of 1 to 60 characters.") }
            let token = "pb_" + SessionManager.randomToken()
            _ = try await store.createToken(for: reader.id, name: name, tokenHash: SessionManager.hash(token))
            return try await settingsPage(request, context, newToken: token)
        }
        router.post("/settings/tokens/:id/revoke") { request, context in
            let (session, _) = try await accounts.verifiedForm(request, context)
            let reader = try Self.loggedIn(session)
            guard let id = Int64(try context.parameters.require("id")) else { throw AppError.notFound("No such token.") }
            guard try await store.revokeToken(id: id, of: reader.id) else { throw AppError.notFound("No such token.") }
            return Response(status: .seeOther, headers: [.location: "/settings"])
        }
        router.post("/settings/password") { request, context in
            let (session, form) = try await accounts.verifiedForm(request, context)
            let reader = try Self.loggedIn(session)
            let current = form.get("current") ?? ""
            let new = form.get("password") ?? ""
            guard let hash = try await store.passwordHash(of: reader.id), Bcrypt.verify(current, hash: hash) else {
                return try await settingsPage(request, context, message: "Your current password is not right.", status: .badRequest)
            }
            if let problem = AccountRules.problem(email: reader.email, name: reader.name, password: new) {
                return try await settingsPage(request, context, message: problem, status: .badRequest)
            }
            try await store.changePassword(of: reader.id, to: Bcrypt.hash(new, cost: accounts.bcryptCost), keepingSession: session.tokenHash)
            return try await settingsPage(request, context, message: "Password changed. Other sessions were logged out.")
        }
        router.post("/api/papers/:id/upvote") { request, context in try await apiVote(request, context, add: true) }
        router.delete("/api/papers/:id/upvote") { request, context in try await apiVote(request, context, add: false) }
    }

    static func loggedIn(_ session: ActiveSession?) throws -> Reader {
        guard let reader = session?.reader else { throw AppError.forbidden("Log in first.") }
        return reader
    }

    func settingsPage(
        _ request: Request,
        _ context: AppRequestContext,
        newToken: String? = nil,
        message: String? = nil,
        status: HTTPResponse.Status? = nil
    ) async throws -> Response {
        guard let session = context.session, let reader = session.reader else {
            return Response(status: .seeOther, headers: [.location: "/login?next=/settings"])
        }
        let tokens = try await store.tokens(of: reader.id)
        var page: [String: Any] = [
            "pageTitle": "Settings", "email": reader.email, "hasTokens": !tokens.isEmpty,
            "baseURL": publicURL.base(for: request),
            "tokens": tokens.map {
                ["id": $0.id, "name": $0.name, "created": String($0.createdAt.prefix(10)), "revoked": $0.revoked] as [String: Any]
            },
        ]
        switch try await store.subscriber(forUser: reader.id, email: reader.email)?.state {
        case .confirmed: page["digestConfirmed"] = true
        case .pending: page["digestPending"] = true
        case .disabled: page["digestDisabled"] = true
        case .unsubscribed, nil: page["digestOff"] = true
        }
        if let newToken { page["newToken"] = newToken }
        if let message { page["message"] = message }
        let html = try renderer.render("settings", page, viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken))
        return Response(
            status: status ?? (newToken == nil ? .ok : .created),
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// `POST` / `DELETE /api/papers/{id}/upvote` with `Authorization: Bearer TOKEN`.
    func apiVote(_ request: Request, _ context: AppRequestContext, add: Bool) async throws -> Response {
        guard let token = Self.bearerToken(request), let reader = try await store.reader(forTokenHash: SessionManager.hash(token)) else {
            return Response(
                status: .unauthorized,
                headers: [.contentType: "application/json; charset=utf-8", .wwwAuthenticate: "Bearer"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"A valid API token is required (Authorization: Bearer TOKEN).\"}"))
            )
        }
        let id = try context.parameters.require("id")
        guard let arxivID = ArxivID(id) else { throw AppError.notFound("“\(id.prefix(80))” is not an arXiv id.") }
        do {
            _ =
                add
                ? try await store.upvote(paperID: arxivID.base, by: reader.id) : try await store.removeUpvote(paperID: arxivID.base, by: reader.id)
        } catch AccountError.unknownPaper {
            throw AppError.notFound("No paper \(arxivID.base) here yet.")
        }
        cache.invalidate()
        let paper = try await store.paper(id: arxivID.base)
        let body = "{\"id\":\"\(arxivID.base)\",\"upvotes\":\(paper?.totalUpvotes ?? 0),\"upvoted\":\(add)}"
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.lowercased().hasPrefix("bearer ") else { return nil }
        let token = value.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 200 ? nil : token
    }
}
