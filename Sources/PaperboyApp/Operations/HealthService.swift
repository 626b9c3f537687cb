import Foundation
import PaperboyCore
import PaperboyStore

/// What `/healthz` reports: the data held, the search indexes, the embedding backfill,
/// today's digest deliveries and where each upstream's sync stands. One value, so the page and any other caller agree.
public struct HealthService: Sendable {
    let store: any PaperStore & DigestStore & SyncStore & StoreConnection
    let search: SearchEngine
    let embeddingProgress: EmbeddingProgress
    let clock: any WallClock
    /// Whether this server has a mail server and sends the digest itself.
    let mailConfigured: Bool
    /// Minutes after midnight UTC; nil when this server does not send digests.
    let digestSendAt: Int?

    public init(
        store: any PaperStore & DigestStore & SyncStore & StoreConnection,
        search: SearchEngine,
        embeddingProgress: EmbeddingProgress,
        clock: any WallClock,
        mailConfigured: Bool,
        digestSendAt: Int?
    ) {
        self.store = store
        self.search = search
        self.embeddingProgress = embeddingProgress
        self.clock = clock
        self.mailConfigured = mailConfigured
        self.digestSendAt = digestSendAt
    }

    public struct Health: Codable, Sendable, Equatable {
        public var status = "ok"
        public var store: Store
        public var papers: Int
        public var feedDays: Int
        public var dailyEntries: Int
        public var search: Search
        public var embeddingBackfill: Backfill
        public var digest: Digest
        /// Per upstream: the last run, the last error, the next run.
        public var sync: SyncStatus

        public struct Store: Codable, Sendable, Equatable {
            /// "sqlite" or "postgres".
            public var backend: String
            /// Papers committed to the database that this node's search index has yet to
            /// load (0 when it is up to date).
            public var indexLag: Int
            /// This node's connections (PostgreSQL only).
            public var pool: PoolState?
        }

        public struct Search: Codable, Sendable, Equatable {
            public var indexedPapers: Int
            public var embeddedPapers: Int
            public var sentenceVectors: Int
            public var semantic: Bool
            /// Where this node's index came from at start: "file" (the index file, then what
            /// changed since) or "store" (rebuilt from the database).
            public var loadedFrom: String?
            /// Query embeddings answered from the cache (`QueryVectorCache`) and computed,
            /// since start.
            public var queryCache: QueryCache
        }

        public struct QueryCache: Codable, Sendable, Equatable {
            public var hits: Int
            public var misses: Int
        }

        public struct Backfill: Codable, Sendable, Equatable {
            public var running: Bool
            public var embedded: Int
            public var total: Int
            public var papersPerSecond: Double
        }

        public struct Digest: Codable, Sendable, Equatable {
            public var mail: Bool
            /// "HH:MM" UTC; absent when this server does not send digests.
            public var sendsAtUTC: String?
            /// Subscribers by state (every state present, 0 when none).
            public var subscribers: [String: Int]
            public var today: Today
        }

        public struct Today: Codable, Sendable, Equatable {
            public var date: String
            /// Deliveries of today's digest by state (every state present).
            public var deliveries: [String: Int]
        }
    }

    public func health() async throws -> Health {
        let statistics = try await store.statistics()
        let embeddings = embeddingProgress.snapshot
        let today = FeedDay(timestamp: clock.now)
        let subscribers = try await store.subscriberCounts()
        let deliveries = try await store.deliveryCounts(date: today)
        let sync = try await SyncStatusService(store: store).status()
        let queryCache = search.queryVectors.statistics
        return Health(
            store: .init(
                backend: store.backendName,
                indexLag: try await store.papersPending(after: search.position),
                pool: try await store.poolState()
            ),
            papers: statistics.papers,
            feedDays: statistics.feedDays,
            dailyEntries: statistics.entries,
            search: .init(
                indexedPapers: search.paperCount,
                embeddedPapers: search.embeddedCount,
                sentenceVectors: search.passageCount,
                semantic: search.embedder != nil,
                loadedFrom: search.loadSource?.rawValue,
                queryCache: .init(hits: queryCache.hits, misses: queryCache.misses)
            ),
            embeddingBackfill: .init(
                running: embeddings.running,
                embedded: embeddings.embedded,
                total: embeddings.total,
                papersPerSecond: (embeddings.papersPerSecond * 10).rounded() / 10
            ),
            digest: .init(
                mail: mailConfigured,
                sendsAtUTC: digestSendAt.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) },
                subscribers: Dictionary(uniqueKeysWithValues: SubscriberState.allCases.map { ($0.rawValue, subscribers[$0, default: 0]) }),
                today: .init(
                    date: today.description,
                    deliveries: Dictionary(uniqueKeysWithValues: DeliveryState.allCases.map { ($0.rawValue, deliveries[$0, default: 0]) })
                )
            ),
            sync: sync
        )
    }
}
