import ArgumentParser
import Foundation
import NIOCore
import PaperboyApp

/// How much a client may ask of the server: request deadlines, open connections, the arXiv
/// budget of a submission, the search queue, and which Host headers links may be built from.
/// A flag wins over the environment, which wins over the default.
struct ServerLimitOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds a client has to send a request's headers (env PAPERBOY_HEADER_TIMEOUT, default 5).")
    var headerTimeout: Int?

    @Option(name: .long, help: "Seconds a client has to send a request's body (env PAPERBOY_BODY_TIMEOUT, default 30).")
    var bodyTimeout: Int?

    @Option(name: .long, help: "Seconds an idle keep-alive connection stays open (env PAPERBOY_IDLE_TIMEOUT, default 30).")
    var idleTimeout: Int?

    @Option(
        name: .long,
        help: "Open connections before the longest-waiting idle or slow one is closed for a newcomer (env PAPERBOY_MAX_CONNECTIONS, default 512)."
    )
    var maxConnections: Int?

    @Option(name: .long, help: "Seconds a submission may wait for arXiv, all retries included (env PAPERBOY_ARXIV_TIMEOUT, default 10).")
    var arxivTimeout: Int?

    @Option(name: .long, help: "Searches that embed the query run at once (env PAPERBOY_SEARCH_CONCURRENCY, default: the number of cores).")
    var searchConcurrency: Int?

    @Option(
        name: .long,
        help:
            "Searches that may wait for those, as long as the expected wait stays under 10 ms; more are answered 503 (env PAPERBOY_SEARCH_QUEUE, default 32)."
    )
    var searchQueue: Int?

    @Option(
        name: .long,
        help:
            "Comma-separated host names absolute links may use when --public-url is not set; other Host headers get the listen address (env PAPERBOY_ALLOWED_HOSTS, default none)."
    )
    var allowedHosts: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func integer(_ flag: Int?, _ variable: String) -> Int? {
        flag ?? environment[variable].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        let positive: [(String, Int?)] = [
            ("--header-timeout", integer(headerTimeout, "PAPERBOY_HEADER_TIMEOUT")),
            ("--body-timeout", integer(bodyTimeout, "PAPERBOY_BODY_TIMEOUT")),
            ("--idle-timeout", integer(idleTimeout, "PAPERBOY_IDLE_TIMEOUT")),
            ("--max-connections", integer(maxConnections, "PAPERBOY_MAX_CONNECTIONS")),
            ("--arxiv-timeout", integer(arxivTimeout, "PAPERBOY_ARXIV_TIMEOUT")),
            ("--search-concurrency", integer(searchConcurrency, "PAPERBOY_SEARCH_CONCURRENCY")),
        ]
        for (name, value) in positive {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let queue = integer(searchQueue, "PAPERBOY_SEARCH_QUEUE"), queue < 0 {
            throw ValidationError("--search-queue must be 0 or more")
        }
    }
}
