import Foundation
import Hummingbird
import Logging

/// Turns every error into a proper answer: `AppError` and Hummingbird's `HTTPError` keep
/// their status, anything else is logged as a bug and becomes a 500 page that reveals nothing.
/// Paths under `/api/` get JSON `{"error": "…"}`, everything else an HTML page.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AppError {
            return response(for: request, status: error.status, message: error.message, error: error)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "There is nothing at \(request.uri.path)." : error.status.reasonPhrase)
            return response(for: request, status: error.status, message: message, error: nil, headers: error.headers)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return response(for: request, status: .internalServerError, message: "Something went wrong on our side. It has been logged.", error: nil)
        }
    }

    private func response(for request: Request, status: HTTPResponse.Status, message: String, error: AppError?, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if request.uri.path.hasPrefix("/api/") {
            headers[.contentType] = "application/json; charset=utf-8"
            let body = (try? JSONEncoder().encode(HFAPI.ErrorBody(error: message))) ?? Data("{}".utf8)
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        var previous: AppError.Link?
        var next: AppError.Link?
        if case .notFound(_, let before, let after) = error {
            previous = before
            next = after
        }
        let html = (try? renderer.errorPage(status: status.code, reason: status.reasonPhrase, message: message, previous: previous, next: next))
            ?? "<!doctype html><title>\(status.code)</title><p>\(status.code) \(status.reasonPhrase)</p>"
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
