import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// Sign-up, log-in, log-out and profiles.
struct AccountRoutes: Sendable {
    let accounts: AccountService
    let sessions: SessionCookies
    let renderer: PageRenderer
    /// The collections a profile lists (public ones; all of them for their owner).
    var collections: CollectionService? = nil

    func register(on router: Router<AppRequestContext>) {
        router.get("/signup") { request, context in try await formPage("signup", request, context) }
        router.get("/login") { request, context in try await formPage("login", request, context) }
        router.post("/signup") { request, context in try await signUp(request, context) }
        router.post("/login") { request, context in try await logIn(request, context) }
        router.post("/logout") { request, context in
            let (session, _) = try await verifiedForm(TokenOnlyForm.self, request, context)
            return redirect(to: "/", cookie: try await sessions.end(session))
        }
        router.get("/u/:name") { request, context in
            try await profile(try context.parameters.require("name"), from: QueryString(request).get("from"), context)
        }
    }

    // MARK: - Forms

    /// Shows a form. Visitors without a session get a signed form token in a cookie instead of
    /// a session row, so looking at a form writes nothing to the database.
    func formPage(
        _ template: String,
        _ request: Request,
        _ context: AppRequestContext,
        error: String? = nil,
        notice: String? = nil,
        values: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var cookie: String?
        let csrf: String
        if let session = context.session {
            csrf = session.csrfToken
        } else {
            (csrf, cookie) = sessions.anonymousFormToken(request)
        }
        var page: [String: Any] = ["csrf": csrf, "next": Self.safeNext(QueryString(request).get("next") ?? values["next"])]
        if let error { page["error"] = error }
        if let notice { page["notice"] = notice }
        for (key, value) in values where key != "password" { page[key] = value }
        let html = try renderer.accountPage(template, context: page, reader: context.reader, csrf: csrf)
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Reads a urlencoded form and checks its CSRF token (403 if not): against the session's,
    /// or for a visitor without one against the signed token of their form cookie. The
    /// visitor's session then has no reader and no row.
    func verifiedForm<Form: CSRFProtectedForm>(
        _ type: Form.Type,
        _ request: Request,
        _ context: AppRequestContext
    ) async throws -> (ActiveSession, Form) {
        var request = request
        let form = try Forms.decode(Form.self, from: try await request.collectBody(limit: BodyLimit.form))
        if let session = context.session, SecretTokens.matches(form.csrf, session.csrfToken) {
            return (session, form)
        }
        if context.session == nil, sessions.verifyAnonymousForm(request, token: form.csrf) {
            return (ActiveSession(tokenHash: "", reader: nil, csrfToken: form.csrf ?? ""), form)
        }
        throw DomainError.notAllowed("This form has expired or did not come from this site. Reload the page and try again.")
    }

    /// A form with a valid CSRF token, posted by a logged-in reader (403 for anyone else).
    func verifiedReader<Form: CSRFProtectedForm>(
        _ type: Form.Type,
        _ request: Request,
        _ context: AppRequestContext
    ) async throws -> (Reader, Form) {
        let (session, form) = try await verifiedForm(type, request, context)
        guard let reader = session.reader else { throw DomainError.notAllowed("Log in first.") }
        return (reader, form)
    }

    /// To the log-in page, then back to `path`.
    func loginRedirect(to path: String) -> Response {
        redirect(to: "/login?next=\(QueryString.encode(path))", cookie: nil)
    }

    func signUp(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, form) = try await verifiedForm(SignUpForm.self, request, context)
        let email = (form.email ?? "").trimmingWhitespace()
        let name = (form.name ?? "").trimmingWhitespace()
        let values = ["email": email, "name": name, "displayName": form.displayName ?? "", "next": form.next ?? ""]
        do {
            let reader = try await accounts.signUp(email: email, name: name, password: form.password ?? "", displayName: form.displayName)
            return redirect(to: Self.safeNext(form.next), cookie: try await sessions.switchSession(from: session, to: reader))
        } catch let refusal as AccountService.Refusal {
            return try await formPage("signup", request, context, error: refusal.message, values: values, status: ErrorMapping(refusal).status)
        }
    }

    func logIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, form) = try await verifiedForm(LogInForm.self, request, context)
        let email = (form.email ?? "").trimmingWhitespace()
        do {
            let reader = try await accounts.logIn(email: email, password: form.password ?? "")
            return redirect(to: Self.safeNext(form.next), cookie: try await sessions.switchSession(from: session, to: reader))
        } catch let refusal as AccountService.Refusal {
            let values = ["email": email, "next": form.next ?? ""]
            return try await formPage("login", request, context, error: refusal.message, values: values, status: ErrorMapping(refusal).status)
        }
    }

    /// A reader's page, or else (or with `?from=huggingface`) the page of the Hugging Face
    /// submitter of that name: a reader here and an imported submitter are never one page.
    func profile(_ name: String, from source: String?, _ context: AppRequestContext) async throws -> Response {
        let viewer = context.reader.flatMap { reader in context.session.map { PageRenderer.Viewer(reader: reader, csrf: $0.csrfToken) } }
        if source == "huggingface" {
            return htmlResponse(try renderer.submitterPage(try await accounts.importedSubmitter(named: name), viewer: viewer))
        }
        let profile: AccountService.Profile
        do {
            profile = try await accounts.profile(named: name)
        } catch let error as DomainError {
            guard let imported = try? await accounts.importedSubmitter(named: name) else { throw error }
            return htmlResponse(try renderer.submitterPage(imported, viewer: viewer))
        }
        let shown = try await collections?.collections(of: profile.reader, viewer: context.reader) ?? []
        let html = try renderer.profilePage(
            reader: profile.reader,
            upvoted: profile.upvoted,
            submissions: profile.submissions,
            collections: shown,
            viewer: context.reader,
            csrf: context.session?.csrfToken
        )
        return htmlResponse(html)
    }

    private func htmlResponse(_ html: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func redirect(to location: String, cookie: String?) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// Only plain same-site paths: anything a browser could resolve to another host
    /// (`//evil.example`, `/\evil.example`, `/<TAB>/evil.example`, `https:…`) becomes `/`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.count <= 2048, next.hasPrefix("/") else { return "/" }
        let bytes = Array(next.utf8)
        // Browsers drop tabs and newlines and read `\` as `/`, so `/<TAB>/x` and `/\x` are `//x`.
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return "/" }
        let allowed = UInt8(ascii: "!")...UInt8(ascii: "~")
        guard bytes.allSatisfy({ allowed.contains($0) && $0 != UInt8(ascii: "\\") }) else { return "/" }
        // Percent-decoding must not reveal such a path either (`/%2F%2Fevil.example`).
        if let decoded = next.removingPercentEncoding {
            let visible = decoded.unicodeScalars.filter { !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F }
            if visible.count > 1, visible.dropFirst().first == "/" || visible.dropFirst().first == "\\" { return "/" }
        }
        guard let url = URL(string: "http://paperboy.invalid" + next), url.host == "paperboy.invalid" else { return "/" }
        return next
    }
}
