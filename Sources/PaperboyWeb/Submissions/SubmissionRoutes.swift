import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// `/submit` (form) and `POST /api/papers/submit` (bearer token).
struct SubmissionRoutes: Sendable {
    let submissions: SubmissionService
    let accounts: AccountService
    let forms: AccountRoutes
    let renderer: PageRenderer

    func register(on router: Router<AppRequestContext>) {
        router.get("/submit") { request, context in try await form(request, context) }
        router.post("/submit") { request, context in
            let (session, form) = try await forms.verifiedForm(SubmitForm.self, request, context)
            guard let reader = session.reader else { return Response(status: .seeOther, headers: [.location: "/login?next=/submit"]) }
            let input = form.id ?? ""
            do {
                let paper = try await submissions.submit(input, by: reader)
                return Response(status: .seeOther, headers: [.location: "/papers/\(paper.id)"])
            } catch let refusal as SubmissionService.Refusal {
                return try await self.form(request, context, error: refusal.message, input: input, status: ErrorMapping(refusal).status)
            }
        }
        router.post("/api/papers/submit") { request, context in
            guard let token = TokenRoutes.bearerToken(request), let reader = try await accounts.reader(forAPIToken: token) else {
                return TokenRoutes.tokenRequired()
            }
            var request = request
            let body = try await request.collectBody(limit: BodyLimit.small)
            let sent = try? JSONDecoder().decode(SubmitRequest.self, from: body)
            guard let input = sent?.id ?? QueryString(request).get("id") else {
                throw DomainError.invalid("Send {\"id\": \"<arXiv id or URL>\"}.")
            }
            let paper = try await submissions.submit(input, by: reader)
            return try JSONResponse.make(Submitted(id: paper.id, title: paper.title, submittedBy: reader.name), status: .created)
        }
    }

    func form(
        _ request: Request,
        _ context: AppRequestContext,
        error: String? = nil,
        input: String = "",
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let session = context.session, let reader = session.reader else {
            return Response(status: .seeOther, headers: [.location: "/login?next=/submit"])
        }
        var page: [String: Any] = [
            "pageTitle": "Submit a paper", "input": input, "maxAge": DisplayText.counted(submissions.maximumAgeDays, "day"),
            "limit": submissions.dailyLimit,
        ]
        if let error { page["error"] = error }
        let html = try renderer.render("submit", page, viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken))
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}

/// The answer to `POST /api/papers/submit`.
struct Submitted: Codable, Sendable {
    var id: String
    var title: String
    var submittedBy: String
}
