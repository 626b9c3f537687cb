import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// Replaces `context.remoteAddress` with the forwarded client's address for requests from a
/// trusted proxy (the rate limits key on it), and marks cookies `Secure` when that proxy
/// terminated TLS, so a server behind nginx needs no `--public-url` for that.
struct ForwardedClientMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    let trusted: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty else { return try await next(request, context) }
        let peer = context.remoteAddress
        var context = context
        context.remoteAddress = trusted.clientAddress(peer: peer, forwardedFor: request.headers[values: Self.forwardedFor])
        var response = try await next(request, context)
        if trusted.forwardedHTTPS(peer: peer, forwardedProto: request.headers[values: Self.forwardedProto]) {
            Self.markCookiesSecure(&response.headers)
        }
        return response
    }

    static func markCookiesSecure(_ headers: inout HTTPFields) {
        let cookies = headers[values: .setCookie]
        guard !cookies.isEmpty else { return }
        headers[values: .setCookie] = cookies.map { cookie in
            let attributes = cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return attributes.contains("secure") ? cookie : cookie + "; Secure"
        }
    }
}
