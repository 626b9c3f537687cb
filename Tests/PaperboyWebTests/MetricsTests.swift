import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaperboyCore
import PaperboyMail
import PaperboyStore
import PaperboyTestSupport
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// The Prometheus text format, parsed: every sample and the type of each metric family.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]

    struct FormatError: Error, CustomStringConvertible {
        var line: String
        var description: String { "not a Prometheus sample line: \(line)" }
    }

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw FormatError(line: String(line)) }
                types[String(parts[2])] = String(parts[3])
            } else if !line.hasPrefix("#") {
                samples.append(try Self.sample(line))
            }
        }
    }

    /// `name{key="value",…} number`, label values with `\\`, `\"` and `\n` escapes.
    private static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw FormatError(line: String(line)) }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard !rest.isEmpty else { throw FormatError(line: String(line)) }
                rest = rest.dropFirst()  // the closing quote
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw FormatError(line: String(line)) }
            }
            rest = rest.dropFirst()  // }
        }
        guard rest.first == " ", let value = Double(rest.dropFirst()) else { throw FormatError(line: String(line)) }
        return Sample(name: name, labels: labels, value: value)
    }

    /// The value of the one sample with exactly these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// A histogram's buckets for these labels (without `le`), in the order `le` grows.
    func buckets(_ name: String, _ labels: [String: String]) -> [(le: Double, count: Double)] {
        samples.filter { $0.name == name + "_bucket" && $0.labels.filter { $0.key != "le" } == labels }
            .map { (Double($0.labels["le"]!.replacingOccurrences(of: "+Inf", with: "inf"))!, $0.value) }
            .sorted { $0.le < $1.le }
    }
}

@Suite struct PrometheusMetricsTests {
    static let token = "metrics-s3cret"

    static var configuration: AppConfiguration {
        var configuration = AppConfiguration(port: 0, bcryptCost: 4)
        configuration.metricsToken = token
        return configuration
    }

    static func scrape(_ client: any TestClientProtocol) async throws -> Exposition {
        try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
            #expect(response.status == .ok)
            return try Exposition(String(buffer: response.body))
        }
    }

    @Test func withoutATokenThePublicPortHasNoMetrics() async throws {
        try await TestApp.withApp { client in
            let scrape = try await client.get("/metrics")
            #expect(scrape.status == .notFound)
        }
    }

    @Test func aScrapeNeedsTheToken() async throws {
        try await TestApp.withApp(configuration: Self.configuration) { client in
            let bare = try await client.get("/metrics")
            #expect(bare.status == .unauthorized)
            #expect(bare.headers[.wwwAuthenticate] == "Bearer")
            for header in ["Bearer wrong", "Bearer \(Self.token)x", "Basic \(Self.token)", Self.token] {
                let status = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: header]) { $0.status }
                #expect(status == .unauthorized, "\(header)")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE paperboy_http_requests_total counter"))
                _ = try Exposition(text)
            }
        }
    }

    @Test func requestsAreCountedByRoutePatternAndStatus() async throws {
        try await TestApp.withApp(configuration: Self.configuration) { client in
            for path in ["/papers/2405.15738", "/papers/2405.15574", "/papers/9999.99999", "/no/such/page", "/ping", "/ping", "/ping"] {
                _ = try await client.get(path)
            }
            let metrics = try await Self.scrape(client)
            let requests = "paperboy_http_requests_total"
            #expect(metrics.types[requests] == "counter")
            #expect(metrics.value(requests, ["route": "/papers/{id}", "method": "GET", "status": "200"]) == 2)
            #expect(metrics.value(requests, ["route": "/papers/{id}", "method": "GET", "status": "404"]) == 1)
            #expect(metrics.value(requests, ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
            #expect(metrics.value(requests, ["route": "/ping", "method": "GET", "status": "200"]) == 3)
            let routes = Set(metrics.samples.compactMap { $0.labels["route"] })
            #expect(!routes.contains { $0.contains("2405.") || $0.contains("/no/such") }, "routes are patterns, never paths: \(routes)")

            let duration = "paperboy_http_request_duration_seconds"
            #expect(metrics.types[duration] == "histogram")
            // Latency is kept by status too, so answered requests can be told from refusals.
            let buckets = metrics.buckets(duration, ["route": "/papers/{id}", "method": "GET", "status": "200"])
            let bounds = AppMetrics.durationBuckets.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
            #expect(buckets.map(\.le) == bounds + [.infinity])
            #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.count <= $1.count }, "buckets are cumulative")
            #expect(buckets.last?.count == 2)
            #expect(metrics.value(duration + "_count", ["route": "/papers/{id}", "method": "GET", "status": "200"]) == 2)
            #expect(metrics.value(duration + "_count", ["route": "/papers/{id}", "method": "GET", "status": "404"]) == 1)
            #expect(try #require(metrics.value(duration + "_sum", ["route": "/papers/{id}", "method": "GET", "status": "200"])) > 0)
            #expect(metrics.value(duration + "_count", ["route": "/ping", "method": "GET", "status": "200"]) == 3)
        }
    }

    @Test func searchLatencyIsRecordedByMode() async throws {
        try await TestApp.withApp(configuration: Self.configuration) { client in
            #expect(try await client.get("/search?q=language+models&mode=lexical").status == .ok)
            #expect(try await client.get("/api/papers/search?q=diffusion&mode=lexical").status == .ok)
            #expect(try await client.get("/search?q=agents").status == .ok)
            let metrics = try await Self.scrape(client)
            let search = "paperboy_search_duration_seconds"
            #expect(metrics.types[search] == "histogram")
            #expect(metrics.value(search + "_count", ["mode": "lexical"]) == 2)
            #expect(metrics.value(search + "_count", ["mode": "hybrid"]) == 1)
            #expect(metrics.value(search + "_count", ["mode": "dense"]) == 0)
            #expect(try #require(metrics.value(search + "_sum", ["mode": "lexical"])) > 0)
            #expect(metrics.buckets(search, ["mode": "lexical"]).last?.count == 2)
        }
    }

    @Test func databaseSizeAndEmbeddingBacklogAreReadAtEachScrape() async throws {
        try await TestApp.withApp(configuration: Self.configuration) { client, store in
            let first = try await Self.scrape(client)
            let size = try #require(first.value("paperboy_database_size_bytes"))
            #expect(first.types["paperboy_database_size_bytes"] == "gauge")
            let stored = try await store.storageSize()
            #expect(size > 0)
            #expect(size == Double(stored))
            let papers = try await store.statistics().papers
            #expect(papers > 0)
            #expect(first.value("paperboy_embedding_backlog_papers") == Double(papers), "no embedder: every paper waits")

            // A write lands in the WAL first; the size counts it.
            let day = FeedDay("2024-05-29")!
            let paper = Paper(
                id: "2405.99997",
                title: "A paper written after the first scrape",
                summary: "",
                authors: [],
                upvotes: 1,
                source: .huggingFace
            )
            _ = try await store.importFeedDay(day, entries: [DailyEntry(day: day, paper: paper, upvotes: 1)])
            let second = try await Self.scrape(client)
            #expect(try #require(second.value("paperboy_database_size_bytes")) > size)
        }
    }

    @Test func submissionsAreCountedImportedAndRejected() async throws {
        try await ArxivReplay.withServer { url, _ in
            try await TestApp.withApp(configuration: Self.configuration, arxiv: ArxivReplay.client(url, clock: TestClock())) { client in
                let (_, token) = try await APITokenTests.token(for: "ada", client: client)
                for id in ["2405.20001", "not an id", "2405.15738"] {
                    _ = try await client.execute(
                        uri: "/api/papers/submit",
                        method: .post,
                        headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                        body: ByteBuffer(string: "{\"id\": \"\(id)\"}")
                    ) { $0.status }
                }
                let metrics = try await Self.scrape(client)
                #expect(metrics.value("paperboy_submissions_total", ["result": "imported"]) == 1)
                #expect(metrics.value("paperboy_submissions_total", ["result": "rejected"]) == 2)
            }
        }
    }

    @Test func digestMessagesAreCountedSentAndFailed() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org", "gone@example.org"], now: Date())
            let metrics = AppMetrics()
            let settings = DigestSettings(
                from: try MailAddress("digest@papers.example.org"),
                publicURL: "https://papers.example.org",
                trendingCount: 5,
                picksCount: 3
            )
            let sender = try await DigestSender.make(
                store: store,
                engine: nil,
                settings: settings,
                transports: [RefusingTransport(refused: "gone@example.org")],
                policy: DigestSenderTests.policy,
                metrics: metrics,
                logger: DigestSenderTests.logger
            )
            let report = try await sender.run(date: DigestSenderTests.day)
            #expect(report.sent == 2)
            let exposition = try Exposition(metrics.exposition())
            #expect(exposition.value("paperboy_digest_messages_total", ["result": "sent"]) == 2)
            #expect(exposition.value("paperboy_digest_messages_total", ["result": "failed"]) == 1)
            #expect(exposition.value("paperboy_digest_messages_total", ["result": "retry"]) == 0)
        }
    }

    @Test func theMetricsPortAnswersWithoutATokenUnlessOneIsSet() async throws {
        try await TestApp.withApp { _, store in
            let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let search = SearchEngine(store: store, embedder: nil, logger: logger)
            try await search.load()
            let open = MetricsRoutes(metrics: AppMetrics(), store: store, search: search, token: nil)
            try await open.application(hostname: "127.0.0.1", port: 0, logger: logger).test(.router) { client in
                let scrape = try await client.get("/metrics")
                let stored = try await store.storageSize()
                #expect(scrape.status == .ok)
                #expect(try Exposition(scrape.body).value("paperboy_database_size_bytes") == Double(stored))
                #expect(try await client.get("/ping").status == .notFound, "the metrics port serves nothing else")
            }
            let guarded = MetricsRoutes(metrics: AppMetrics(), store: store, search: search, token: Self.token)
            try await guarded.application(hostname: "127.0.0.1", port: 0, logger: logger).test(.router) { client in
                let scrape = try await client.get("/metrics")
                #expect(scrape.status == .unauthorized)
            }
        }
    }
}

/// Accepts every message except those to `refused`, which it refuses for good (550).
actor RefusingTransport: MailTransport {
    let refused: String

    init(refused: String) { self.refused = refused }

    func send(_ message: MailMessage) async throws {
        if message.recipients.contains(where: { $0.address == refused }) {
            throw SMTPError.permanent(code: 550, message: "no such user")
        }
    }

    func close() async {}
}
