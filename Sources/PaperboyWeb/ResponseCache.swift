import Foundation
import NIOCore
import PaperboyStore
import Synchronization

/// Keeps rendered GET responses until the data changes.
///
/// Feed pages change only when something is imported or voted, which bumps the store's
/// change counter (from any process). The counter is read at most once per `recheckInterval`,
/// so a write by another process shows within that interval; writes by this process call
/// `invalidate()` and show at once.
public final class ResponseCache: Sendable {
    struct Entry {
        var body: ByteBuffer
        var contentType: String
        /// The gzip variant, made on the first request that accepts it.
        var gzipped: ByteBuffer?
    }

    struct State {
        var entries: [String: Entry] = [:]
        var counter = -1
        var checkedAt = 0.0
    }

    private let state = Mutex(State())
    private let store: any PaperStore
    private let recheckInterval: Double
    private let capacity: Int

    public init(store: any PaperStore, recheckInterval: Double = 1, capacity: Int = 4096) {
        self.store = store
        self.recheckInterval = recheckInterval
        self.capacity = capacity
    }

    /// The cached body for `key`, or the result of `render`, stored for next time.
    func body(for key: String, contentType: String, render: () async throws -> ByteBuffer) async throws -> Entry {
        try await refreshIfDue()
        if let hit = state.withLock({ $0.entries[key] }) { return hit }
        let entry = Entry(body: try await render(), contentType: contentType)
        store(entry, for: key)
        return entry
    }

    /// The gzip body for a cached entry, compressed on first use (small bodies are not worth it).
    func gzipped(_ entry: Entry, for key: String) -> ByteBuffer? {
        if let gzipped = entry.gzipped { return gzipped }
        guard entry.body.readableBytes >= 1024, let gzipped = Gzip.compress(entry.body) else { return nil }
        var updated = entry
        updated.gzipped = gzipped
        store(updated, for: key)
        return gzipped
    }

    private func store(_ entry: Entry, for key: String) {
        state.withLock { state in
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = entry
        }
    }

    public func invalidate() {
        state.withLock { $0.entries.removeAll(keepingCapacity: true) }
    }

    private func refreshIfDue() async throws {
        let now = Date().timeIntervalSince1970
        let due = state.withLock { state -> Bool in
            guard now - state.checkedAt >= recheckInterval else { return false }
            state.checkedAt = now  // one request checks; the others keep serving meanwhile
            return true
        }
        guard due else { return }
        let counter = try await store.changeCounter()
        state.withLock { state in
            if state.counter != counter {
                state.entries.removeAll(keepingCapacity: true)
                state.counter = counter
            }
        }
    }
}
