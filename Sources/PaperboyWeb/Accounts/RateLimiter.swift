import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import Synchronization

/// Token buckets per client, answering 429 with the IETF `RateLimit` and `RateLimit-Policy`
/// headers (the style Hugging Face uses) when a bucket is empty.
public final class RateLimiter: Sendable {
    public struct Policy: Sendable, Equatable {
        public var name: String
        /// Requests allowed per window.
        public var quota: Int
        public var window: Double

        public init(name: String, quota: Int, window: Double) {
            self.name = name
            self.quota = quota
            self.window = window
        }
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let policy: Policy
    let clock: any WallClock
    private let buckets = Mutex([String: Bucket]())

    public init(policy: Policy, clock: any WallClock) {
        self.policy = policy
        self.clock = clock
    }

    /// Takes one token for `key`; the headers to send, and whether the request may go on.
    func take(_ key: String) -> (allowed: Bool, headers: HTTPFields) {
        let now = clock.now
        let rate = Double(policy.quota) / policy.window
        let (allowed, remaining) = buckets.withLock { buckets -> (Bool, Double) in
            if buckets.count > 100_000 { buckets.removeAll() }  // bound memory under floods
            var bucket = buckets[key] ?? Bucket(tokens: Double(policy.quota), updated: now)
            bucket.tokens = min(Double(policy.quota), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            return (allowed, bucket.tokens)
        }
        let reset = remaining >= 1 ? 0 : Int(((1 - remaining) / rate).rounded(.up))
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("RateLimit-Policy")!] = "\"\(policy.name)\";q=\(policy.quota);w=\(Int(policy.window))"
        headers[HTTPField.Name("RateLimit")!] = "\"\(policy.name)\";r=\(Int(remaining));t=\(reset)"
        if !allowed { headers[.retryAfter] = String(max(reset, 1)) }
        return (allowed, headers)
    }
}

/// Applies a limiter to the requests `applies` selects, keyed per API token when the request
/// carries one and per client address otherwise.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter
    let applies: @Sendable (Request) -> Bool

    static func key(_ request: Request, _ context: Context) -> String {
        if let token = TokenRoutes.bearerToken(request) { return "token:" + SessionManager.hash(token) }
        return "ip:" + (context.remoteAddress ?? "local")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard applies(request) else { return try await next(request, context) }
        let (allowed, headers) = limiter.take(Self.key(request, context))
        guard allowed else {
            var response = Response(
                status: .tooManyRequests,
                headers: headers,
                body: .init(byteBuffer: .init(string: "{\"error\":\"Too many requests: slow down and retry later.\"}"))
            )
            response.headers[.contentType] = "application/json; charset=utf-8"
            return response
        }
        var response = try await next(request, context)
        for field in headers { response.headers.append(field) }
        return response
    }
}
