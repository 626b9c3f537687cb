import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import PaperboyCore
import PaperboyStore

/// Sign-up, log-in, log-out, upvotes from HTML forms, and profiles.
struct AccountRoutes: Sendable {
    let store: any AccountStore & PaperStore
    let sessions: SessionManager
    let renderer: PageRenderer
    /// Votes change counts on cached pages: they are dropped at once.
    let cache: ResponseCache
    /// bcrypt cost: 12 in production; tests lower it to stay fast.
    let bcryptCost: UInt8

    /// A hash to verify against when the email is unknown, so a failed log-in takes as long
    /// whether or not the address has an account.
    private let decoyHash: String

    init(store: any AccountStore & PaperStore, sessions: SessionManager, renderer: PageRenderer, cache: ResponseCache, bcryptCost: UInt8) {
        self.store = store
        self.sessions = sessions
        self.renderer = renderer
        self.cache = cache
        self.bcryptCost = bcryptCost
        self.decoyHash = Bcrypt.hash("decoy password for timing", cost: bcryptCost)
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/signup") { request, context in try await formPage("signup", request, context) }
        router.get("/login") { request, context in try await formPage("login", request, context) }
        router.post("/signup") { request, context in try await signUp(request, context) }
        router.post("/login") { request, context in try await logIn(request, context) }
        router.post("/logout") { request, context in
            let (session, _) = try await verifiedForm(request, context)
            return redirect(to: "/", cookie: try await sessions.end(session))
        }
        router.post("/papers/:id/upvote") { request, context in try await vote(request, context) }
        router.get("/u/:name") { _, context in try await profile(try context.parameters.require("name"), context) }
    }

    // MARK: - Forms

    /// Shows a form. Visitors without a session get a signed form token in a cookie instead of
    /// a session row, so looking at a form writes nothing to the database.
    func formPage(
        _ template: String,
        _ request: Request,
        _ context: AppRequestContext,
        error: String? = nil,
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
        for (key, value) in values where key != "password" { page[key] = value }
        let html = try renderer.accountPage(template, context: page, reader: context.reader, csrf: csrf)
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Reads a urlencoded form and checks its CSRF token (403 if not): against the session's,
    /// or for a visitor without one against the signed token of their form cookie. The
    /// visitor's session then has no reader and no row.
    func verifiedForm(_ request: Request, _ context: AppRequestContext) async throws -> (ActiveSession, QueryString) {
        var request = request
        let body = try await request.collectBody(limit: BodyLimit.form)
        let form = QueryString(String(buffer: body))
        if let session = context.session, SessionManager.matches(form.get("csrf"), session.csrfToken) {
            return (session, form)
        }
        if context.session == nil, sessions.verifyAnonymousForm(request, token: form.get("csrf")) {
            return (ActiveSession(tokenHash: "", reader: nil, csrfToken: form.get("csrf") ?? ""), form)
        }
        throw AppError.forbidden("This form has expired or did not come from this site. Reload the page and try again.")
    }

    func signUp(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, form) = try await verifiedForm(request, context)
        let email = (form.get("email") ?? "").trimmingWhitespace()
        let name = (form.get("name") ?? "").trimmingWhitespace()
        let password = form.get("password") ?? ""
        let values = ["email": email, "name": name, "next": form.get("next") ?? ""]
        if let problem = AccountRules.problem(email: email, name: name, password: password) {
            return try await formPage("signup", request, context, error: problem, values: values, status: .badRequest)
        }
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        let reader: Reader
        do {
            reader = try await store.createUser(email: email, name: name, passwordHash: hash)
        } catch AccountError.emailTaken {
            return try await formPage(
                "signup",
                request,
                context,
                error: "That email cannot be used for a new account. If it is yours, log in.",
                values: values,
                status: .conflict
            )
        } catch AccountError.nameTaken {
            return try await formPage(
                "signup",
                request,
                context,
                error: "That display name is taken: choose another.",
                values: values,
                status: .conflict
            )
        }
        return try await switchSession(from: session, to: reader, next: form.get("next"))
    }

    func logIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, form) = try await verifiedForm(request, context)
        let email = (form.get("email") ?? "").trimmingWhitespace()
        let password = form.get("password") ?? ""
        let found = try await store.credentials(email: email)
        // Always run bcrypt: an unknown email costs the same time as a wrong password.
        let valid = Bcrypt.verify(password, hash: found?.passwordHash ?? decoyHash) && found != nil
        guard valid, let reader = found?.reader else {
            return try await formPage(
                "login",
                request,
                context,
                error: "Email or password is wrong.",
                values: ["email": email, "next": form.get("next") ?? ""],
                status: .unauthorized
            )
        }
        return try await switchSession(from: session, to: reader, next: form.get("next"))
    }

    /// A new session id at every log-in, so a session planted before it is worthless after.
    func switchSession(from old: ActiveSession, to reader: Reader, next: String?) async throws -> Response {
        if !old.tokenHash.isEmpty { try await store.deleteSession(tokenHash: old.tokenHash) }
        let (_, cookie) = try await sessions.start(for: reader)
        return redirect(to: Self.safeNext(next), cookie: cookie)
    }

    func vote(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (session, form) = try await verifiedForm(request, context)
        guard let reader = session.reader else {
            return redirect(to: "/login?next=\(QueryString.encode("/papers/\(id)"))", cookie: nil)
        }
        guard let arxivID = ArxivID(id) else { throw AppError.notFound("“\(id.prefix(80))” is not an arXiv id.") }
        do {
            if form.get("action") == "remove" {
                _ = try await store.removeUpvote(paperID: arxivID.base, by: reader.id)
            } else {
                _ = try await store.upvote(paperID: arxivID.base, by: reader.id)
            }
        } catch AccountError.unknownPaper {
            throw AppError.notFound("No paper \(arxivID.base) here yet.")
        }
        cache.invalidate()
        if request.headers[.accept]?.contains("application/json") == true {
            let paper = try await store.paper(id: arxivID.base)
            let upvoted = try await store.upvotedPaperIDs(by: reader.id, among: [arxivID.base]).contains(arxivID.base)
            let body = "{\"upvotes\":\(paper?.totalUpvotes ?? 0),\"upvoted\":\(upvoted)}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return redirect(to: Self.safeNext(form.get("next") ?? "/papers/\(arxivID.base)"), cookie: nil)
    }

    func profile(_ name: String, _ context: AppRequestContext) async throws -> Response {
        guard let reader = try await store.reader(named: name) else { throw AppError.notFound("No reader named “\(name.prefix(40))”.") }
        let upvoted = try await store.upvotedPapers(by: reader.id, limit: 100)
        let submissions = try await store.feedEntries(FeedQuery(submitter: reader.name, order: .newest, limit: 100))
        let html = try renderer.profilePage(
            reader: reader,
            upvoted: upvoted,
            submissions: submissions.map(\.paper),
            viewer: context.reader,
            csrf: context.session?.csrfToken
        )
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
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

/// What a new account must satisfy, each rule with the message a person reads.
enum AccountRules {
    static func problem(email: String, name: String, password: String) -> String? {
        let emailParts = email.split(separator: "@", omittingEmptySubsequences: false)
        if email.count > 254 || emailParts.count != 2 || emailParts[0].isEmpty || !emailParts[1].contains(".")
            || email.contains(where: { $0.isWhitespace || $0.isNewline })
        {
            return "Enter a valid email address."
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        if !(2...32).contains(name.count) || name.unicodeScalars.contains(where: { !allowed.contains($0) || !$0.isASCII }) {
            return "Display names are 2 to 32 letters, digits, '-' or '_'."
        }
        if password.count < 10 { return "Passwords need at least 10 characters." }
        if password.count > 200 { return "Passwords can be at most 200 characters." }
        if Set(password).count < 4 { return "That password is too easy to guess: use more different characters." }
        if password.lowercased().contains(name.lowercased()) || password.lowercased() == email.lowercased() {
            return "Your password must not contain your name or email."
        }
        return nil
    }
}
