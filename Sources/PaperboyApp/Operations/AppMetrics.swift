import Metrics
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of their own.
///
/// Each application owns one (passed in, never `MetricsSystem.bootstrap`, which a process can
/// call once): every test app counts only its own requests. Labels are bounded: routes are
/// the router's patterns, methods a fixed list, search modes and outcomes enums.
public final class AppMetrics: Sendable {
    /// Whether a submission went on the feed or was refused (the reason is in the answer).
    enum SubmissionResult: String, CaseIterable { case imported, rejected }
    /// What became of one digest message: accepted by the mail server, failed for good
    /// (permanent refusal or out of attempts), or left for a retry.
    enum DigestResult: String, CaseIterable { case sent, failed, retry }

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct RequestSeries {
        var count: Metrics.Counter
        var duration: Metrics.Timer
    }

    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requests = Mutex<[RequestKey: RequestSeries]>([:])
    /// Papers the search engine has no vector for yet (set at each scrape).
    public let embeddingBacklog: Metrics.Gauge
    /// The database on disk, WAL included (set at each scrape).
    public let databaseBytes: Metrics.Gauge
    /// Made up front so each series reads 0 before its first event (`rate()` needs a start).
    private let submissions: [SubmissionResult: Metrics.Counter]
    private let digestMessages: [DigestResult: Metrics.Counter]
    private let searchDurations: [SearchMode: Metrics.Timer]

    /// Request latencies run from well under a millisecond (`/ping`, cached pages) to seconds
    /// (a submission waiting on arXiv); search from a millisecond to a few hundred.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        embeddingBacklog = Metrics.Gauge(label: "paperboy_embedding_backlog_papers", factory: factory)
        databaseBytes = Metrics.Gauge(label: "paperboy_database_size_bytes", factory: factory)
        submissions = Dictionary(
            uniqueKeysWithValues: SubmissionResult.allCases.map {
                ($0, Metrics.Counter(label: "paperboy_submissions_total", dimensions: [("result", $0.rawValue)], factory: factory))
            }
        )
        digestMessages = Dictionary(
            uniqueKeysWithValues: DigestResult.allCases.map {
                ($0, Metrics.Counter(label: "paperboy_digest_messages_total", dimensions: [("result", $0.rawValue)], factory: factory))
            }
        )
        searchDurations = Dictionary(
            uniqueKeysWithValues: SearchMode.allCases.map {
                ($0, Metrics.Timer(label: "paperboy_search_duration_seconds", dimensions: [("mode", $0.rawValue)], factory: factory))
            }
        )
    }

    /// Everything recorded, in the Prometheus text format (version 0.0.4).
    public func exposition() -> String {
        registry.emitToString()
    }

    // MARK: - Recording

    /// One answered request. `route` is the matched pattern (`/papers/{id}`), never the path.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = RequestKey(route: route, method: Self.knownMethods.contains(method) ? method : "other", status: status)
        let series = requests.withLock { requests in
            if let series = requests[key] { return series }
            let series = RequestSeries(
                count: Metrics.Counter(
                    label: "paperboy_http_requests_total",
                    dimensions: [("route", key.route), ("method", key.method), ("status", String(key.status))],
                    factory: factory
                ),
                duration: Metrics.Timer(
                    label: "paperboy_http_request_duration_seconds",
                    dimensions: [("route", key.route), ("method", key.method), ("status", String(key.status))],
                    factory: factory
                )
            )
            requests[key] = series
            return series
        }
        series.count.increment()
        series.duration.record(duration: duration)
    }

    /// One search ranked (queueing for the embedder included), under the mode asked for.
    func recordSearch(_ mode: SearchMode, duration: Duration) {
        searchDurations[mode]?.record(duration: duration)
    }

    func countSubmission(_ result: SubmissionResult) {
        submissions[result]?.increment()
    }

    func countDigestMessage(_ result: DigestResult) {
        digestMessages[result]?.increment()
    }

    /// Methods worth a label of their own; anything else a client invents is `other`.
    private static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
}
