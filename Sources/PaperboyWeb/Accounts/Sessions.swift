import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import PaperboyStore

/// Server-side sessions in HttpOnly, SameSite=Lax cookies. The cookie carries 256 random bits;
/// the store keeps only their SHA-256, the reader and the CSRF token of the session.
public struct SessionManager: Sendable {
    static let cookieName = "pb_session"
    /// Visitors without an account get no session row: their forms carry a signed token that
    /// must equal this cookie (a signed double submit), so anonymous page views write nothing.
    static let formCookieName = "pb_form"
    let store: any AccountStore
    let clock: any WallClock
    /// Add `Secure` to cookies (served over TLS, directly or behind a proxy).
    let secureCookies: Bool
    var lifetime: TimeInterval = 30 * 24 * 3600
    /// Signs anonymous form tokens; made once per installation and kept in the store.
    private let formKeyBytes: [UInt8]
    private var formKey: SymmetricKey { SymmetricKey(data: formKeyBytes) }

    /// The name of the form-signing secret in the database.
    public static let formSecretName = "form-signing-key"

    init(store: any AccountStore, clock: any WallClock, secureCookies: Bool, formSecret: String) {
        self.store = store
        self.clock = clock
        self.secureCookies = secureCookies
        self.formKeyBytes = Array(SHA256.hash(data: Data(formSecret.utf8)))
    }

    /// The anonymous form token of this browser, and the cookie to set when it had none yet.
    func anonymousFormToken(_ request: Request) -> (token: String, cookie: String?) {
        if let token = Self.cookieValue(request, named: Self.formCookieName), isValidFormToken(token) {
            return (token, nil)
        }
        let nonce = Self.randomToken()
        let token = "\(nonce).\(formSignature(nonce))"
        // A session cookie (no Max-Age): it lives as long as the browser window.
        let cookie = "\(Self.formCookieName)=\(token); Path=/; HttpOnly; SameSite=Lax" + (secureCookies ? "; Secure" : "")
        return (token, cookie)
    }

    /// Whether a form sent without a session carries the token of this browser's cookie.
    func verifyAnonymousForm(_ request: Request, token: String?) -> Bool {
        guard let cookie = Self.cookieValue(request, named: Self.formCookieName), isValidFormToken(cookie) else { return false }
        return Self.matches(token, cookie)
    }

    private func isValidFormToken(_ token: String) -> Bool {
        let parts = token.split(separator: ".")
        guard token.count <= 100, parts.count == 2 else { return false }
        return Self.matches(String(parts[1]), formSignature(String(parts[0])))
    }

    private func formSignature(_ nonce: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(("anonymous-form:" + nonce).utf8), using: formKey)
        return Self.base64URL(Data(mac))
    }

    /// Starts a session (anonymous when `reader` is nil) and returns the `Set-Cookie` value.
    func start(for reader: Reader?) async throws -> (session: ActiveSession, cookie: String) {
        let token = Self.randomToken()
        let session = ActiveSession(tokenHash: Self.hash(token), reader: reader, csrfToken: Self.randomToken())
        let expires = Date(timeIntervalSince1970: clock.now + lifetime)
        try await store.createSession(
            tokenHash: session.tokenHash,
            readerID: reader?.id,
            csrfToken: session.csrfToken,
            expiresAt: expires,
            now: Date(timeIntervalSince1970: clock.now)
        )
        return (session, cookie(value: token, maxAge: Int(lifetime)))
    }

    func end(_ session: ActiveSession) async throws -> String {
        try await store.deleteSession(tokenHash: session.tokenHash)
        return cookie(value: "", maxAge: 0)
    }

    func find(_ request: Request) async throws -> ActiveSession? {
        guard let token = Self.cookieValue(request), !token.isEmpty, token.count <= 100 else { return nil }
        let tokenHash = Self.hash(token)
        guard let stored = try await store.session(tokenHash: tokenHash, now: Date(timeIntervalSince1970: clock.now)) else {
            return nil
        }
        return ActiveSession(tokenHash: tokenHash, reader: stored.reader, csrfToken: stored.csrfToken)
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

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return base64URL(Data(bytes))
    }

    /// Base64 that is safe in cookies and URLs, without padding.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison, so a CSRF check leaks nothing through timing.
    static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Looks the session up from the cookie before any route runs.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: SessionManager

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.session = try await sessions.find(request)
        return try await next(request, context)
    }
}
