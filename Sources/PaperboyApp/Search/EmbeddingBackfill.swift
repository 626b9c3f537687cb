import Foundation
import Logging
import PaperboyCore
import PaperboySearch
import PaperboyStore
import ServiceLifecycle
import Synchronization

/// How far the embedding backfill is, for `/healthz` and the logs.
public final class EmbeddingProgress: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var embedded = 0
        public var total = 0
        public var running = false
        public var papersPerSecond = 0.0
    }

    private let state = Mutex(Snapshot())
    public init() {}
    public var snapshot: Snapshot { state.withLock { $0 } }
    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}

/// Computes the embeddings papers are missing, in batches, and adds them to the search
/// engine as they land. Runs as a service of the server (search stays lexical for papers not
/// embedded yet) and once from `paperboy embed`.
public struct EmbeddingBackfill: Service {
    let store: any PaperStore
    let embedder: any TextEmbedder
    let engine: SearchEngine?
    let progress: EmbeddingProgress
    /// What the idle wait sleeps on.
    let clock: any WallClock
    let logger: Logger
    var batchSize = 32
    /// Threads the embedding runs on, at the lowest OS priority (`embedInBackground`): all
    /// cores, which requests take back whenever they need them.
    var threads = ProcessInfo.processInfo.activeProcessorCount
    /// How long to wait before looking for new papers again when everything is embedded.
    var idleInterval: Duration = .seconds(10)
    /// Who claims papers when several nodes embed from one store (`EmbeddingClaims`).
    var holder = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    /// How long a claim keeps other nodes off its papers: far longer than a batch takes, so
    /// only a node that died loses its claims.
    var claimDuration = 300.0

    public init(
        store: any PaperStore,
        embedder: any TextEmbedder,
        engine: SearchEngine?,
        progress: EmbeddingProgress,
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.store = store
        self.embedder = embedder
        self.engine = engine
        self.progress = progress
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        try await stopQuietlyOnShutdown {
            while !Task.isCancelled {
                let embedded = try await runOnce()
                if embedded == 0 { try await clock.sleep(for: idleInterval) }
            }
        }
    }

    /// Embeds every paper that lacks an embedding, then returns how many it embedded.
    @discardableResult
    public func runOnce(onBatch: (EmbeddingProgress.Snapshot) -> Void = { _ in }) async throws -> Int {
        let statistics = try await store.statistics()
        let already = try await store.embeddingCount(model: embedder.modelName)
        progress.update {
            $0.total = statistics.papers
            $0.embedded = already
        }
        var done = 0
        // Rate and log spacing measure the work itself: elapsed time on the monotonic clock,
        // not the injected wall clock (a fixed clock would make every rate infinite).
        let started = ContinuousClock.now
        var lastLog: ContinuousClock.Instant?
        while !Task.isCancelled {
            let papers = try await nextBatch()
            guard !papers.isEmpty else { break }
            progress.update { $0.running = true }
            let (embedder, threads) = (self.embedder, self.threads)
            let embeddings = await onComputeThread { paperEmbeddings(papers, embedder: embedder, threads: threads) }
            try await store.saveEmbeddings(embeddings, model: embedder.modelName)
            engine?.addEmbeddings(embeddings)
            done += embeddings.count
            let rate = Double(done) / max((ContinuousClock.now - started).seconds, 0.001)
            progress.update {
                $0.embedded += embeddings.count
                $0.papersPerSecond = rate
            }
            let snapshot = progress.snapshot
            onBatch(snapshot)
            if lastLog.map({ ContinuousClock.now - $0 >= .seconds(30) }) ?? true {
                lastLog = ContinuousClock.now
                logger.info(
                    "embedding papers",
                    metadata: [
                        "embedded": "\(snapshot.embedded)", "total": "\(snapshot.total)",
                        "papers_per_second": "\(String(format: "%.1f", rate))",
                    ]
                )
            }
        }
        progress.update { $0.running = false }
        if done > 0 { logger.info("embeddings up to date", metadata: ["embedded": "\(done)"]) }
        return done
    }
}

extension EmbeddingBackfill {
    /// Papers to embed next: claimed, where several nodes share the store, so that no two
    /// embed the same paper.
    func nextBatch() async throws -> [Paper] {
        guard let claims = store as? any EmbeddingClaims else {
            return try await store.papersWithoutEmbedding(model: embedder.modelName, limit: batchSize)
        }
        let now = clock.now
        return try await claims.claimPapersWithoutEmbedding(
            model: embedder.modelName,
            limit: batchSize,
            holder: holder,
            until: Date(timeIntervalSince1970: now + claimDuration),
            now: Date(timeIntervalSince1970: now)
        )
    }
}

/// The whole-paper vector and the sentence vectors of each paper, in one batch for the model,
/// or on `threads` low-priority threads of their own (`embedInBackground`).
public func paperEmbeddings(_ papers: [Paper], embedder: any TextEmbedder, threads: Int? = nil) -> [PaperEmbedding] {
    let passages = papers.map { Passages.texts(title: $0.title, abstract: $0.summary) }
    let texts = papers.map { embeddingText(title: $0.title, abstract: $0.summary) } + passages.flatMap { $0 }
    let vectors = threads.map { embedInBackground(texts, embedder: embedder, threads: $0) } ?? embedder.embed(batch: texts)
    var next = papers.count
    return papers.enumerated().map { index, paper in
        defer { next += passages[index].count }
        return PaperEmbedding(
            paperID: paper.id,
            vector: vectors[index],
            passages: Array(vectors[next..<next + passages[index].count])
        )
    }
}

/// Keeps the search engine in step with the store: imports by another process show up within
/// `interval`, or at once when `wakeup` is signalled.
public struct SearchIndexRefresher: Service {
    let engine: SearchEngine
    let store: any PaperStore
    let clock: any WallClock
    let logger: Logger
    var interval: Duration = .seconds(2)
    /// The least time between two refreshes, however often the wakeup is signalled: under a
    /// stream of writes on other nodes, each node catches up ten times a second instead of
    /// once per write (three queries each).
    var minimumGap: Double = 0.1
    /// Signalled when another node commits a change (`StoreChanges`): the index catches up
    /// at once instead of at the next poll.
    public let wakeup = Wakeup()

    public init(
        engine: SearchEngine,
        store: any PaperStore,
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.engine = engine
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        try await stopQuietlyOnShutdown {
            var seen: Int?
            while !Task.isCancelled {
                do {
                    let counter = try await store.changeCounter()
                    if counter != seen { try await engine.refresh() }
                    seen = counter
                    // Embeddings other processes saved (this one's own come back unchanged,
                    // which the dense index skips).
                    try await engine.catchUpEmbeddings()
                } catch is CancellationError {
                    return
                } catch {
                    // The database may be restarting: keep serving what the index holds.
                    logger.error("search index refresh failed", metadata: ["error": "\(error)"])
                }
                let refreshed = clock.now
                try await wakeup.wait(upTo: interval, on: clock)
                let since = clock.now - refreshed
                if since < minimumGap { try await clock.sleep(for: .milliseconds(Int((minimumGap - since) * 1000))) }
            }
        }
    }
}

/// Runs a service loop until graceful shutdown, which cancels it; the cancellation is the
/// normal way out, not an error (an error would make the server exit non-zero).
public func stopQuietlyOnShutdown(_ loop: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown(loop)
    } catch is CancellationError {
        return
    }
}
