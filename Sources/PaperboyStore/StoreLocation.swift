import Foundation
import PaperboyCore

/// Everything the application keeps, behind the protocols of this module.
public typealias AppStore = PaperStore & AccountStore & DigestStore & BackupStore & SyncStore & CurationStore & DiscussionStore
    & CollectionStore & StoreConnection

/// Which backend a store is and how it ends.
public protocol StoreConnection: Sendable {
    /// "sqlite" or "postgres", as `/healthz` reports it.
    var backendName: String { get }

    /// Lets go of the database (PostgreSQL: closes the pool's connections); nothing is called
    /// on the store afterwards. SQLite has nothing to close.
    func close() async

    /// The connections this process holds to the database; nil where there is no pool (SQLite).
    func poolState() async throws -> PoolState?

    /// Papers committed after `position` that an index standing there has yet to load: a
    /// node's index lag.
    func papersPending(after position: RevisionPosition) async throws -> Int
}

/// A connection pool as the database server sees it.
public struct PoolState: Sendable, Equatable, Codable {
    /// Connections open from this process.
    public var open: Int
    /// Of those, the ones running a statement (the one asking counts itself).
    public var busy: Int
    /// The most this process opens.
    public var maximum: Int

    public init(open: Int, busy: Int, maximum: Int) {
        self.open = open
        self.busy = busy
        self.maximum = maximum
    }
}

/// Where a store lives, read from the `--database` value: `sqlite:PATH`, `sqlite://PATH`, a
/// bare path (SQLite), or `postgres://…` / `postgresql://…`. The factory
/// (`PaperboyStoreFactory.openStore`) opens it; nothing else needs to know which backend it is.
public enum StoreLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Invalid(description: "the database location is empty") }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
        } else if lowered.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if lowered.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy({ $0.isLetter }),
            trimmed[..<colon].count > 1, trimmed[trimmed.index(after: colon)...].hasPrefix("//")
        {
            throw Invalid(description: "unknown database scheme “\(trimmed[..<colon])”: use a path, sqlite:PATH or postgres://…")
        } else {
            self = .sqlite(path: trimmed)
        }
        if case .sqlite(let path) = self, path.isEmpty { throw Invalid(description: "sqlite: needs a file path") }
    }
}

/// Stores that several processes write at once and that can tell when any of them committed
/// a change (PostgreSQL's LISTEN/NOTIFY). Polling the change counter stays the fallback: a
/// notification sent while the listener was disconnected is lost.
public protocol ChangeNotifying: Sendable {
    /// Calls `onChange` soon after each committed change, from any process, until the task
    /// is cancelled. Reconnects after a lost connection, calling `onChange` once it is back
    /// (changes may have been missed meanwhile).
    func watchChanges(_ onChange: @escaping @Sendable () -> Void) async throws
}

/// Rate-limit buckets kept where every node sees them (PostgreSQL), so that a limit of ten
/// log-ins a minute holds across three nodes, not thirty.
public protocol SharedRateLimits: Sendable {
    /// Takes one token from the bucket `key` of `policy`, which refills at `quota` tokens per
    /// `window` seconds up to `quota`. Returns whether one was taken, and the tokens left.
    func takeToken(policy: String, key: String, quota: Int, window: Double, now: Double) async throws -> (taken: Bool, remaining: Double)

    /// Reports tokens taken by this node since its last report (`takes`: key and count; a
    /// count of 0 only asks) in one statement, for limits that each node enforces from its own
    /// view between reports. A bucket may go into debt, down to `-quota`: tokens taken at once
    /// on several nodes are paid back by refills. Returns each bucket's tokens after the report.
    func reportTokens(
        policy: String,
        takes: [(key: String, count: Int)],
        quota: Int,
        window: Double,
        now: Double
    ) async throws
        -> [String: Double]
}

/// Stores several nodes embed from at once (PostgreSQL): each paper missing an embedding is
/// claimed by one node, so it is embedded once, not once per node.
public protocol EmbeddingClaims: Sendable {
    /// Up to `limit` papers without an embedding for `model` that no live claim holds, now
    /// claimed by `holder` until `until`. Claims of a node that died expire and are taken over.
    func claimPapersWithoutEmbedding(model: String, limit: Int, holder: String, until: Date, now: Date) async throws -> [Paper]
}

/// Stores where another node may compute embeddings (PostgreSQL): each node's search index
/// picks up the vectors others saved. Embeddings carry their own revisions, so that saving
/// them does not count as a change to the data (caches stay warm during a backfill).
public protocol EmbeddingFeed: Sendable {
    /// Where a reader that has loaded every embedding committed so far starts.
    func embeddingPosition() async throws -> RevisionPosition

    /// Embeddings of `model` saved after `position`, in (revision, paper id) order, with the
    /// position of the last one; only those whose transactions have all finished.
    func embeddings(
        model: String,
        after position: RevisionPosition,
        limit: Int
    ) async throws -> (embeddings: [PaperEmbedding], position: RevisionPosition)
}

/// Stores beside which a node keeps its search index in a file (`SearchEngine`): they say
/// which database they are and how far their revisions have gone, so that a file written
/// against another database, or against a newer state than a restored copy holds, is not
/// used.
public protocol SearchIndexSource: EmbeddingFeed {
    /// The same for the life of a database (and for copies of it, such as backups).
    func storeIdentity() async throws -> String

    /// The newest paper revision and the newest embedding revision committed.
    func latestRevisions() async throws -> (papers: Int, embeddings: Int)
}
