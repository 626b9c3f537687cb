import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PaperboyCore

/// Fetches paper metadata from the arXiv API. Behind a protocol so tests and other callers can
/// point it elsewhere; the live client talks HTTP to `baseURL`.
public protocol ArxivFetching: Sendable {
    /// Papers for the ids arXiv knows; unknown ids are simply absent.
    func papers(ids: [ArxivID]) async throws -> [Paper]
}

public enum ArxivFetchError: Error, Equatable, CustomStringConvertible {
    case unavailable(String)
    case badResponse(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): return "arXiv is unavailable: \(reason)"
        case .badResponse(let reason): return reason
        }
    }
}

/// The live client: AsyncHTTPClient with a timeout, a User-Agent naming us, and retries with
/// exponential backoff for transport errors and 5xx answers (arXiv asks clients to back off).
public struct ArxivClient: ArxivFetching {
    public var baseURL: String
    public var timeout: TimeAmount
    public var attempts: Int
    public var backoff: Duration
    public var userAgent = "Paperboy/0.1 (self-hosted paper hub; +https://github.com/)"
    let httpClient: HTTPClient
    /// What the back-offs sleep on.
    let clock: any WallClock
    let logger: Logger

    public init(
        baseURL: String = "https://export.arxiv.org/api/query",
        httpClient: HTTPClient = .shared,
        timeout: TimeAmount = .seconds(15),
        attempts: Int = 3,
        backoff: Duration = .seconds(1),
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.baseURL = baseURL
        self.httpClient = httpClient
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.clock = clock
        self.logger = logger
    }

    public func papers(ids: [ArxivID]) async throws -> [Paper] {
        guard !ids.isEmpty else { return [] }
        let list = ids.map(\.base).joined(separator: ",")
        var request = HTTPClientRequest(url: "\(baseURL)?id_list=\(list)&max_results=\(ids.count)")
        request.headers.add(name: "User-Agent", value: userAgent)
        var lastError: Error = ArxivFetchError.unavailable("no attempt made")
        for attempt in 1...max(1, attempts) {
            do {
                let response = try await httpClient.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 8 * 1024 * 1024)
                if response.status.code >= 500 {
                    throw ArxivFetchError.unavailable("HTTP \(response.status.code)")
                }
                guard response.status == .ok else {
                    throw ArxivFetchError.badResponse("arXiv answered HTTP \(response.status.code)")
                }
                do {
                    return try ArxivAtomParser().parse(Data(body.readableBytesView))
                } catch let error as ArxivAtomParser.ParseError {
                    throw ArxivFetchError.badResponse(error.description)
                }
            } catch let error as ArxivFetchError {
                if case .badResponse = error { throw error }
                lastError = error
            } catch {
                lastError = ArxivFetchError.unavailable("\(error)")
            }
            logger.warning("arXiv request failed", metadata: ["attempt": "\(attempt)", "error": "\(lastError)"])
            if attempt < attempts {
                try await clock.sleep(for: backoff * (1 << (attempt - 1)))
            }
        }
        throw lastError
    }
}
