import AsyncHTTPClient
import Foundation
import Logging
import PaperboyCore

/// The live `HFDailyFetching`: `GET {endpoint}/api/daily_papers?date=YYYY-MM-DD` on Hugging
/// Face or a mirror of it, with an optional access token, retries (see `UpstreamHTTP`) and a
/// check that the body is complete JSON before anyone parses or stores it.
public struct HFDailyClient: HFDailyFetching {
    public var endpoint: String
    /// Sent as `Authorization: Bearer …` when set (a Hugging Face token raises the rate limit).
    public var token: String?
    let http: UpstreamHTTP

    public init(
        endpoint: String = "https://huggingface.co",
        token: String? = nil,
        httpClient: HTTPClient = UpstreamHTTPClient.shared,
        timeout: Duration = .seconds(30),
        maxBodyBytes: Int = 32 * 1024 * 1024,
        retry: UpstreamRetryPolicy = UpstreamRetryPolicy(),
        userAgent: String = UpstreamUserAgent.default,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "paperboy.upstream.hf")
    ) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.http = UpstreamHTTP(
            httpClient: httpClient,
            timeout: timeout,
            maxBodyBytes: maxBodyBytes,
            retry: retry,
            userAgent: userAgent,
            clock: clock,
            logger: logger
        )
    }

    public func dailyPapers(on day: FeedDay) async throws -> Data {
        var headers = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await http.get("\(endpoint)/api/daily_papers?date=\(day)", headers: headers) { body in
            // A cut-off answer with a matching Content-Length still reaches here: only a
            // complete JSON document is worth handing on. A structural scan, not a parse: the
            // day's parser reads the values right after.
            guard JSONBytes.isCompleteContainer(Array(body)) else {
                throw UpstreamError.badBody("not complete JSON (\(body.count) bytes)")
            }
            return body
        }
    }
}

/// Who we say we are to upstreams: arXiv asks harvesters to identify themselves.
public enum UpstreamUserAgent {
    public static let `default` = "Paperboy/0.1 (self-hosted paper hub; +https://github.com/)"
}
