import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// The settings page: API tokens, password, digest.
struct TokenRoutes: Sendable {
    let accounts: AccountService
    let forms: AccountRoutes
    let renderer: PageRenderer
    let publicURL: LinkBase
    /// Whether a mail server is configured: without one, a pending subscription waits for it.
    var canSendMail = true

    func register(on router: Router<AppRequestContext>) {
        router.get("/settings") { request, context in try await settingsPage(request, context) }
        router.post("/settings/tokens") { request, context in
            let (session, form) = try await forms.verifiedForm(NewTokenForm.self, request, context)
            let token = try await accounts.createToken(for: try Self.loggedIn(session), name: form.name ?? "")
            return try await settingsPage(request, context, newToken: token)
        }
        router.post("/settings/tokens/:id/revoke") { request, context in
            let (session, _) = try await forms.verifiedForm(TokenOnlyForm.self, request, context)
            let reader = try Self.loggedIn(session)
            guard let id = Int64(try context.parameters.require("id")) else { throw DomainError.notFound("No such token.") }
            try await accounts.revokeToken(id: id, of: reader)
            return Response(status: .seeOther, headers: [.location: "/settings"])
        }
        router.post("/settings/display-name") { request, context in
            let (session, form) = try await forms.verifiedForm(DisplayNameForm.self, request, context)
            let reader = try Self.loggedIn(session)
            do {
                let shown = try await accounts.setDisplayName(of: reader, to: form.displayName ?? "")
                let message = shown.map { "You are now shown as “\($0)”." } ?? "You are shown by your user name."
                return try await settingsPage(request, context, message: message)
            } catch let refusal as AccountService.Refusal {
                return try await settingsPage(request, context, message: refusal.message, status: ErrorMapping(refusal).status)
            }
        }
        router.post("/settings/password") { request, context in
            let (session, form) = try await forms.verifiedForm(PasswordForm.self, request, context)
            let reader = try Self.loggedIn(session)
            do {
                try await accounts.changePassword(
                    of: reader,
                    current: form.current ?? "",
                    new: form.password ?? "",
                    keepingSession: session.tokenHash
                )
            } catch let refusal as AccountService.Refusal {
                return try await settingsPage(request, context, message: refusal.message, status: ErrorMapping(refusal).status)
            }
            return try await settingsPage(request, context, message: "Password changed. Other sessions were logged out.")
        }
    }

    static func loggedIn(_ session: ActiveSession?) throws -> Reader {
        guard let reader = session?.reader else { throw DomainError.notAllowed("Log in first.") }
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
        let settings = try await accounts.settings(of: reader)
        let tokens = settings.tokens
        var page: [String: Any] = [
            "pageTitle": "Settings", "email": reader.email, "hasTokens": !tokens.isEmpty,
            "displayName": try await accounts.displayName(of: reader) ?? "",
            "baseURL": publicURL.base(for: request),
            "tokens": tokens.map {
                ["id": $0.id, "name": $0.name, "created": String($0.createdAt.prefix(10)), "revoked": $0.revoked] as [String: Any]
            },
        ]
        switch settings.digest {
        case .confirmed: page["digestConfirmed"] = true
        case .pending:
            page["digestPending"] = true
            if !canSendMail { page["mailOff"] = true }
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

    /// 401 with `WWW-Authenticate: Bearer` for an API call without a valid token.
    static func tokenRequired() -> Response {
        (try? JSONResponse.make(
            HFAPI.ErrorBody(error: "A valid API token is required (Authorization: Bearer TOKEN)."),
            status: .unauthorized,
            headers: [.wwwAuthenticate: "Bearer"]
        )) ?? Response(status: .unauthorized)
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.lowercased().hasPrefix("bearer ") else { return nil }
        let token = value.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 200 ? nil : token
    }
}
