import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyMail
import PaperboyStore

/// Subscribing, confirming and unsubscribing from the daily digest, and its preview.
struct DigestRoutes: Sendable {
    let subscriptions: SubscriptionService
    let composer: DigestComposer
    let accounts: AccountRoutes
    let renderer: PageRenderer
    let signer: LinkSigner
    let clock: any WallClock
    /// Absolute links in the preview when no --public-url is set (the request's own host).
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.post("/digest/subscribe") { request, context in try await subscribe(request, context) }
        router.get("/digest/confirm") { request, context in try await confirm(request, context) }
        router.get("/digest/unsubscribe") { request, context in try await unsubscribePage(request, context) }
        // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to the URL of the
        // List-Unsubscribe header, without cookies. The signed token is the authority here.
        router.post("/digest/unsubscribe") { request, context in try await unsubscribe(request, context) }
        router.get("/digest/preview") { request, context in try await preview(request, context) }
        router.post("/settings/digest") { request, context in try await settings(request, context) }
    }

    private func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try Forms.decode(SubscribeForm.self, from: try await request.collectBody(limit: BodyLimit.small))
        let token = form.csrf
        let fromSession = context.session.map { SecretTokens.matches(token, $0.csrfToken) } ?? false
        let fromPage = SecretTokens.matches(token, signer.subscribeFormToken) && Self.isSameOrigin(request)
        guard fromSession || fromPage else {
            throw DomainError.notAllowed("This form has expired or did not come from this site. Reload the page and try again.")
        }
        let email: String
        do {
            email = try SubscriptionService.validatedEmail(form.email ?? "")
        } catch {
            return try page(
                heading: "Subscribe to the daily digest",
                error: error.message,
                status: .badRequest,
                context
            )
        }
        try await subscriptions.subscribe(email: email, userID: nil)
        return try page(heading: "Check your inbox", message: Self.subscribedMessage(email, mailOn: subscriptions.mail != nil), context)
    }

    /// The same words whatever the address's state, so the answer reveals nothing about it.
    static func subscribedMessage(_ email: String, mailOn: Bool) -> String {
        mailOn
            ? "If \(email) is not subscribed yet, a confirmation link is on its way to it. Follow it within 7 days to start getting the digest."
            : "Your request for \(email) is kept. This server cannot send email yet; the confirmation link goes out as soon as it can."
    }

    private func confirm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = QueryString(request).get("token") ?? ""
        switch try await subscriptions.confirm(token: token) {
        case .confirmed(let subscriber):
            return try page(
                heading: "You are subscribed",
                message: "The daily digest of trending papers will go to \(subscriber.email). Every digest has a one-click unsubscribe link.",
                context
            )
        case .alreadyConfirmed:
            return try page(heading: "You are subscribed", message: "This address was already confirmed.", context)
        case .expired:
            return try page(
                heading: "This link has expired",
                error: "Confirmation links work for 7 days. Subscribe again below to get a new one.",
                status: .badRequest,
                context
            )
        case .invalid:
            return try page(
                heading: "This link does not work",
                error: "It may be incomplete, or the subscription has changed since. Subscribe again below.",
                status: .badRequest,
                context
            )
        }
    }

    private func unsubscribePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = QueryString(request).get("token") ?? ""
        guard let subscriber = try await subscriptions.unsubscribeTarget(token: token) else {
            return try invalidUnsubscribeLink(context)
        }
        guard subscriber.state != .unsubscribed else {
            return try page(heading: "You are unsubscribed", message: "\(subscriber.email) gets no digests.", context)
        }
        return try page(
            heading: "Unsubscribe from the daily digest",
            message: "Stop sending the daily digest to \(subscriber.email)?",
            extra: ["unsubscribeToken": token, "email": subscriber.email],
            context
        )
    }

    private func unsubscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        // Mail clients post whatever their authors chose: a body that is not a form is ignored.
        let body = try await request.collectBody(limit: BodyLimit.small)
        let form = try? Forms.decode(UnsubscribeForm.self, from: body)
        let token = QueryString(request).get("token") ?? form?.token ?? ""
        guard let subscriber = try await subscriptions.unsubscribe(token: token) else {
            return try invalidUnsubscribeLink(context)
        }
        return try page(
            heading: "You are unsubscribed",
            message: "\(subscriber.email) will get no more digests. You can subscribe again at any time.",
            context
        )
    }

    private func invalidUnsubscribeLink(_ context: AppRequestContext) throws -> Response {
        try page(
            heading: "This link does not work",
            error: "Use the unsubscribe link from the latest digest, or log in and change your settings.",
            status: .badRequest,
            context
        )
    }

    /// Today's digest in the browser: trending for everyone, plus picks for a logged-in reader.
    private func preview(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryString(request)
        let date =
            try query.get("date").map { text -> FeedDay in
                guard let day = FeedDay(text) else { throw DomainError.invalid("date must be YYYY-MM-DD.") }
                return day
            } ?? FeedDay(timestamp: clock.now)
        let content = try await composer.preview(date: date, readerID: context.reader?.id)
        let base = publicURL.base(for: request)
        if query.get("format") == "text" {
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "private, no-store"],
                body: .init(byteBuffer: ByteBuffer(string: content.text(siteURL: base, unsubscribeURL: "(your link)")))
            )
        }
        var values = content.context(siteURL: base, unsubscribeURL: "")
        values["pageTitle"] = "Digest preview"
        values["isPreview"] = true
        let viewer = context.session.flatMap { session in session.reader.map { PageRenderer.Viewer(reader: $0, csrf: session.csrfToken) } }
        return html(try renderer.render("digest-preview", values, viewer: viewer), status: .ok)
    }

    /// `/settings/digest`: a logged-in reader subscribes their account's address or leaves.
    private func settings(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, form) = try await accounts.verifiedForm(DigestSettingsForm.self, request, context)
        let reader = try TokenRoutes.loggedIn(session)
        switch form.action {
        case "subscribe":
            try await subscriptions.subscribe(email: reader.email, userID: reader.id)
        case "unsubscribe":
            try await subscriptions.unsubscribe(reader: reader)
        default:
            throw DomainError.invalid("Choose subscribe or unsubscribe.")
        }
        let target = "/settings#digest"
        return Response(status: .seeOther, headers: [.location: target])
    }

    private func page(
        heading: String,
        message: String? = nil,
        error: String? = nil,
        extra: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        _ context: AppRequestContext
    ) throws -> Response {
        var values: [String: Any] = ["pageTitle": heading, "heading": heading]
        if let message { values["message"] = message }
        if let error { values["error"] = error }
        values.merge(extra) { _, new in new }
        let viewer = context.session.flatMap { session in session.reader.map { PageRenderer.Viewer(reader: $0, csrf: session.csrfToken) } }
        return html(try renderer.render("digest-message", values, viewer: viewer), status: status)
    }

    private func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// Whether a browser sent this request from one of our own pages. The subscribe form of
    /// cached pages carries a site-wide token, so the browser's own origin headers do the rest
    /// of the CSRF check; a request with none of them is refused (browsers send `Origin` with
    /// every POST, and `Sec-Fetch-Site` since 2020).
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] {
            return site == "same-origin" || site == "none"
        }
        let authority = request.head.authority
        for name in [HTTPField.Name.origin, HTTPField.Name.referer] {
            guard let value = request.headers[name] else { continue }
            guard value != "null", let url = URLComponents(string: value), let host = url.host else { return false }
            let port = url.port.map { ":\($0)" } ?? ""
            return authority == host + port
        }
        return false
    }
}
