import HTTPTypes
import Hummingbird
import PaperboyApp

/// Applies a limiter to the requests `applies` selects, keyed per API token when the request
/// carries one and per client address otherwise.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter
    let applies: @Sendable (Request) -> Bool

    static func key(_ request: Request, _ context: Context) -> String {
        if let token = TokenRoutes.bearerToken(request) { return "token:" + SecretTokens.hash(token) }
        return "ip:" + (context.remoteAddress ?? "local")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard applies(request) else { return try await next(request, context) }
        let decision = await limiter.take(Self.key(request, context))
        let headers = Self.headers(decision, policy: limiter.policy)
        guard decision.allowed else {
            return try JSONResponse.make(
                HFAPI.ErrorBody(error: "Too many requests: slow down and retry later."),
                status: .tooManyRequests,
                headers: headers
            )
        }
        var response = try await next(request, context)
        for field in headers { response.headers.append(field) }
        return response
    }

    /// The IETF `RateLimit` and `RateLimit-Policy` headers (the style Hugging Face uses), and
    /// `Retry-After` on a refusal.
    static func headers(_ decision: RateLimiter.Decision, policy: RateLimiter.Policy) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("RateLimit-Policy")!] = "\"\(policy.name)\";q=\(policy.quota);w=\(Int(policy.window))"
        headers[HTTPField.Name("RateLimit")!] = "\"\(policy.name)\";r=\(decision.remaining);t=\(decision.resetSeconds)"
        if !decision.allowed { headers[.retryAfter] = String(max(decision.resetSeconds, 1)) }
        return headers
    }
}
