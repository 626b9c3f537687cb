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
            let (session, form) = try await forms.verifiedForm(request, context)
            guard let reader = session.reader else { return Response(status: .seeOther, headers: [.location: "/login?next=/submit"]) }
            let input = form.get("id") ?? ""
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
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            guard let input = object?["id"] as? String ?? QueryString(request).get("id") else {
                return Self.json(.badRequest, ["error": "Send {\"id\": \"<arXiv id or URL>\"}."])
            }
            do {
                let paper = try await submissions.submit(input, by: reader)
                return Self.json(.created, ["id": paper.id, "title": paper.title, "submittedBy": reader.name])
            } catch let refusal as SubmissionService.Refusal {
                return Self.json(ErrorMapping(refusal).status, ["error": refusal.message])
            }
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
            "pageTitle": "Submit a paper", "input": input, "maxAge": submissions.maximumAgeDays, "limit": submissions.dailyLimit,
        ]
        if let error { page["error"] = error }
        let html = try renderer.render("submit", page, viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken))
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
