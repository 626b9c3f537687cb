import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PaperboyCore

/// How an upstream client retries a request that failed in a way waiting may cure.
public struct UpstreamRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var attempts: Int
    /// The wait after the first transport error or 5xx; it doubles with each further one.
    public var backoff: Duration
    /// The longest single wait, whether a back-off or a `Retry-After` (an upstream asking for
    /// an hour is better retried by the next scheduled sync than by a sleeping request).
    public var maxWait: Duration

    public init(attempts: Int = 4, backoff: Duration = .seconds(2), maxWait: Duration = .seconds(120)) {
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.maxWait = maxWait
    }
}

/// The HTTP client the upstream clients use unless given another. Unlike `HTTPClient.shared`,
/// it does not retry a refused connection until the request's deadline: with no network, a
/// sync learns so at once and its own retries (with back-off) decide what happens next.
public enum UpstreamHTTPClient {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(10))
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}

/// The GET-with-retries both upstream clients share: one AsyncHTTPClient request per attempt,
/// a whole-answer timeout, a body size cap, `Retry-After` on 429/503 and exponential back-off
/// for transport errors and other 5xx, every wait on the injected clock.
struct UpstreamHTTP: Sendable {
    var httpClient: HTTPClient
    /// Real time, not the injected clock: it bounds real I/O. Covers the head and the body
    /// (AsyncHTTPClient's own deadline stops at the head).
    var timeout: Duration
    var maxBodyBytes: Int
    var retry: UpstreamRetryPolicy
    var userAgent: String
    var clock: any WallClock
    var logger: Logger

    private enum Outcome {
        case success(Data)
        /// `retryAfter`: what the upstream asked for; nil: back off.
        case retry(UpstreamError, retryAfter: Duration?)
        case fail(UpstreamError)
    }

    /// The body of a 200 answer to `GET url`, read by `decode` (which throws
    /// `UpstreamError.badBody` or `.oai`, not retried). `beforeAttempt` and `afterAttempt` run
    /// around every attempt (request spacing).
    func get<T>(
        _ url: String,
        headers: [(String, String)] = [],
        beforeAttempt: @Sendable () async throws -> Void = {},
        afterAttempt: @Sendable () async -> Void = {},
        decode: (Data) throws -> T
    ) async throws -> T {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: userAgent)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        var backoff = retry.backoff
        for attempt in 1...retry.attempts {
            try await beforeAttempt()
            let outcome = await self.attempt(request)
            await afterAttempt()
            switch outcome {
            case .success(let body):
                return try decode(body)
            case .fail(let error):
                throw error
            case .retry(let error, let retryAfter):
                guard attempt < retry.attempts else { throw error }
                let delay = min(retryAfter ?? backoff, retry.maxWait)
                if retryAfter == nil { backoff *= 2 }
                // Debug only: an outage is reported once by whoever runs the sync, not per attempt.
                logger.debug(
                    "upstream request failed, retrying",
                    metadata: ["url": "\(url)", "attempt": "\(attempt)", "error": "\(error)", "wait_s": "\(delay.seconds)"]
                )
                try await clock.sleep(for: delay)
            }
        }
        throw UpstreamError.unreachable("no attempt made")  // unreachable: attempts >= 1
    }

    private func attempt(_ request: HTTPClientRequest) async -> Outcome {
        let exchange: (status: Int, headers: [(String, String)], body: Data)
        do {
            exchange = try await withTimeout { try await exchangeOnce(request) }
        } catch let error as UpstreamError {
            // A body over the cap will not shrink by asking again.
            if case .badBody = error { return .fail(error) }
            return .retry(error, retryAfter: nil)
        } catch {
            return .retry(Self.transportError(error, timeout: timeout), retryAfter: nil)
        }
        switch exchange.status {
        case 200:
            return .success(exchange.body)
        case 429, 503:
            let retryAfter = retryAfterDelay(exchange.headers.first { $0.0.lowercased() == "retry-after" }?.1, now: clock.now)
            return .retry(.throttled(status: exchange.status, retryAfter: retryAfter), retryAfter: retryAfter)
        case 500...599:
            return .retry(.status(exchange.status, Self.excerpt(exchange.body)), retryAfter: nil)
        default:
            return .fail(.status(exchange.status, Self.excerpt(exchange.body)))
        }
    }

    /// One request and its whole body. Redirects are followed by the HTTP client.
    private func exchangeOnce(_ request: HTTPClientRequest) async throws -> (status: Int, headers: [(String, String)], body: Data) {
        let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw UpstreamError.badBody("larger than \(maxBodyBytes) bytes")
        }
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, Data(body.readableBytesView))
    }

    /// Runs `work`, throwing `UpstreamError.timedOut` when it takes longer than `timeout`.
    private func withTimeout<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw UpstreamError.timedOut(seconds: Int(timeout.seconds.rounded(.up)))
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw UpstreamError.timedOut(seconds: Int(timeout.seconds)) }
            return first
        }
    }

    /// AsyncHTTPClient's and NIO's errors in the terms a sync service acts on.
    static func transportError(_ error: any Error, timeout: Duration) -> UpstreamError {
        if let client = error as? HTTPClientError,
            client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout || client == .writeTimeout
        {
            return .timedOut(seconds: Int(timeout.seconds.rounded(.up)))
        }
        return .unreachable(String(describing: error))
    }

    /// The start of an error body, on one line, for messages.
    static func excerpt(_ body: Data) -> String {
        String(decoding: body.prefix(200), as: UTF8.self).collapsingWhitespace()
    }
}
