import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PaperboyApp

/// Turns every error into a proper answer: the application's errors as `ErrorMapping` says,
/// Hummingbird's with their status; a malformed request is 400, logged at info;
/// anything else is logged as a bug and becomes a 500 page that reveals nothing.
/// Paths under `/api/` get JSON `{"error": "…"}`, everything else an HTML page.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: PageRenderer
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return httpErrorResponse(for: request, error)
        } catch let error as HTTPParserError {
            // A malformed request (a chunk size that is not hex, say), or a body cut off by its
            // deadline, is the client's doing.
            context.logger.info("request could not be read", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return response(
                for: request,
                status: .badRequest,
                message: "The request could not be read: it is not valid HTTP.",
                headers: [.connection: "close"]
            )
        } catch let error as any HTTPResponseError {
            return response(for: request, status: error.status, message: error.status.reasonPhrase)
        } catch {
            guard let mapping = ErrorMapping.of(error) else {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
                return response(for: request, status: .internalServerError, message: "Something went wrong on our side. It has been logged.")
            }
            if mapping.status == .serviceUnavailable {
                // Refusals come in floods: a few bytes, no template, so answering them costs
                // as little as possible of the CPU the accepted requests need.
                return overloadResponse(for: request, message: mapping.message, headers: mapping.headers)
            }
            if let level = mapping.logLevel {
                context.logger.log(level: level, mapping.logMessage, metadata: ["path": "\(request.uri.path)", "error": "\(mapping.message)"])
            }
            return response(for: request, mapping)
        }
    }

    private func httpErrorResponse(for request: Request, _ error: HTTPError) -> Response {
        if error.status == .notFound, let allowed = routes.allowedMethods(for: request.uri.path) {
            return response(
                for: request,
                status: .methodNotAllowed,
                message: "\(request.uri.path) does not answer \(request.method.rawValue); it answers \(allowed.joined(separator: ", ")).",
                headers: [.allow: allowed.joined(separator: ", ")]
            )
        }
        let message = error.body ?? (error.status == .notFound ? "There is nothing at \(request.uri.path)." : error.status.reasonPhrase)
        return response(for: request, status: error.status, message: message, headers: error.headers)
    }

    private func overloadResponse(for request: Request, message: String, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.cacheControl] = "no-store"
        let body: String
        if request.uri.path.hasPrefix("/api/") {
            headers[.contentType] = "application/json; charset=utf-8"
            body = String(decoding: (try? JSONResponse.encoder.encode(HFAPI.ErrorBody(error: message))) ?? Data(), as: UTF8.self)
        } else {
            headers[.contentType] = "text/html; charset=utf-8"
            body = "<!doctype html><title>503 Service Unavailable</title><p>\(message)</p>"
        }
        return Response(status: .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func response(for request: Request, _ mapping: ErrorMapping) -> Response {
        response(
            for: request,
            status: mapping.status,
            message: mapping.message,
            headers: mapping.headers,
            previous: mapping.previous,
            next: mapping.next
        )
    }

    private func response(
        for request: Request,
        status: HTTPResponse.Status,
        message: String,
        headers: HTTPFields = [:],
        previous: DomainError.Link? = nil,
        next: DomainError.Link? = nil
    ) -> Response {
        var headers = headers
        headers[.cacheControl] = headers[.cacheControl] ?? "no-store"
        if request.uri.path.hasPrefix("/api/") {
            headers[.contentType] = "application/json; charset=utf-8"
            let body = (try? JSONEncoder().encode(HFAPI.ErrorBody(error: message))) ?? Data("{}".utf8)
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let html =
            (try? renderer.errorPage(status: status.code, reason: status.reasonPhrase, message: message, previous: previous, next: next))
            ?? "<!doctype html><title>\(status.code)</title><p>\(status.code) \(status.reasonPhrase)</p>"
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
