import Foundation
import HTTPTypes
import Hummingbird
import PaperboyApp
import PaperboyStore

/// How sessions travel over HTTP: the token in an HttpOnly, SameSite=Lax cookie, and for
/// visitors without a session a signed form token in a second cookie (a signed double
/// submit), so anonymous page views write nothing. The sessions themselves are the
/// application's `SessionService`.
public struct SessionCookies: Sendable {
    static let cookieName = "pb_session"
    static let formCookieName = "pb_form"
    let service: SessionService
    /// Add `Secure` to cookies (served over TLS, directly or behind a proxy).
    let secureCookies: Bool

    /// The anonymous form token of this browser, and the cookie to set when it had none yet.
    func anonymousFormToken(_ request: Request) -> (token: String, cookie: String?) {
        if let token = Self.cookieValue(request, named: Self.formCookieName), service.isValidFormToken(token) {
            return (token, nil)
        }
        let token = service.newFormToken()
        // A session cookie (no Max-Age): it lives as long as the browser window.
        let cookie = "\(Self.formCookieName)=\(token); Path=/; HttpOnly; SameSite=Lax" + (secureCookies ? "; Secure" : "")
        return (token, cookie)
    }

    /// Whether a form sent without a session carries the token of this browser's cookie.
    func verifyAnonymousForm(_ request: Request, token: String?) -> Bool {
        service.verifyAnonymousForm(given: token, issued: Self.cookieValue(request, named: Self.formCookieName))
    }

    /// Starts a session for `reader` after a log-in or sign-up; the `Set-Cookie` value.
    func switchSession(from old: ActiveSession, to reader: Reader) async throws -> String {
        let (_, token) = try await service.switchSession(from: old, to: reader)
        return cookie(value: token, maxAge: Int(service.lifetime))
    }

    func end(_ session: ActiveSession) async throws -> String {
        try await service.end(session)
        return cookie(value: "", maxAge: 0)
    }

    func find(_ request: Request) async throws -> ActiveSession? {
        guard let token = Self.cookieValue(request) else { return nil }
        return try await service.find(token: token)
    }

    func cookie(value: String, maxAge: Int) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secureCookies ? "; Secure" : "")
    }

    static func cookieValue(_ request: Request, named name: String = cookieName) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return String(parts[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

/// Looks the session up from the cookie before any route runs.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: SessionCookies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.session = try await sessions.find(request)
        return try await next(request, context)
    }
}
