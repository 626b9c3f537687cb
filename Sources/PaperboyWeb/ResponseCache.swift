import Foundation
import NIOCore
import PaperboyCore
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

        var bytes: Int { body.readableBytes + (gzipped?.readableBytes ?? 0) + 64 }
    }

    struct State {
        var entries: [String: Entry] = [:]
        /// Bytes held by `entries`.
        var bytes = 0
        var counter = -1
        var checkedAt = 0.0
        /// Keys being rendered, with the requests waiting for that rendering.
        var rendering: [String: [CheckedContinuation<Entry?, Never>]] = [:]

        mutating func clear() {
            entries.removeAll()
            bytes = 0
        }
    }

    private let state = Mutex(State())
    private let store: any PaperStore
    /// Times the rechecks of the change counter.
    private let clock: any WallClock
    private let recheckInterval: Double
    private let capacity: Int
    private let maximumBytes: Int

    /// At most `capacity` responses and `maximumBytes` of bodies: past either, the cache starts
    /// over (search responses are tens of kilobytes each, so the byte limit is what bounds
    /// memory under many distinct queries).
    public init(
        store: any PaperStore,
        clock: any WallClock = SystemClock(),
        recheckInterval: Double = 1,
        capacity: Int = 4096,
        maximumBytes: Int = 24 << 20
    ) {
        self.store = store
        self.clock = clock
        self.recheckInterval = recheckInterval
        self.capacity = capacity
        self.maximumBytes = maximumBytes
    }

    /// Longer keys (URLs) are rendered every time rather than cached: real links are short,
    /// and a client making up long distinct URLs must not fill the cache with them.
    static let longestKey = 512

    /// Bytes an entry costs: its bodies, its key, and the dictionary's bookkeeping.
    static func cost(_ entry: Entry, key: String) -> Int { entry.bytes + key.utf8.count + 96 }

    /// The cached body for `key`, or the result of `render`, stored for next time.
    ///
    /// Requests that miss the same key together wait for one rendering: when the cache is
    /// empty (at start, after a write) 256 clients asking for the same 500 KB page used to
    /// render it 256 times at once, and some waited over 10 s (BENCHMARKS.md, "Overload").
    func body(for key: String, contentType: String, render: () async throws -> ByteBuffer) async throws -> Entry {
        try await refreshIfDue()
        guard key.utf8.count <= Self.longestKey else { return Entry(body: try await render(), contentType: contentType) }
        while true {
            enum Step {
                case hit(Entry)
                case render, wait
            }
            let step = state.withLock { state -> Step in
                if let hit = state.entries[key] { return .hit(hit) }
                if state.rendering[key] != nil { return .wait }
                state.rendering[key] = []
                return .render
            }
            switch step {
            case .hit(let entry):
                return entry
            case .render:
                do {
                    let entry = Entry(body: try await render(), contentType: contentType)
                    store(entry, for: key)
                    finishRendering(key, with: entry)
                    return entry
                } catch {
                    finishRendering(key, with: nil)
                    throw error
                }
            case .wait:
                let rendered = await withCheckedContinuation { (continuation: CheckedContinuation<Entry?, Never>) in
                    let waiting = state.withLock { state -> Bool in
                        guard state.rendering[key] != nil else { return false }
                        state.rendering[key]!.append(continuation)
                        return true
                    }
                    if !waiting { continuation.resume(returning: nil) }
                }
                // nil: the rendering failed or ended before we could wait; look again.
                if let rendered { return rendered }
            }
        }
    }

    /// Hands a rendering's result to the requests that waited for it.
    private func finishRendering(_ key: String, with entry: Entry?) {
        let waiting = state.withLock { $0.rendering.removeValue(forKey: key) ?? [] }
        for continuation in waiting { continuation.resume(returning: entry) }
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
        guard key.utf8.count <= Self.longestKey else { return }
        let cost = Self.cost(entry, key: key)
        guard cost <= maximumBytes else { return }
        state.withLock { state in
            if let replaced = state.entries[key] { state.bytes -= Self.cost(replaced, key: key) }
            if state.entries.count >= capacity || state.bytes + cost > maximumBytes { state.clear() }
            state.entries[key] = entry
            state.bytes += cost
        }
    }

    public func invalidate() {
        state.withLock { $0.clear() }
    }

    /// Bytes the cached responses hold (for tests and `/healthz`).
    var heldBytes: Int { state.withLock { $0.bytes } }
    var count: Int { state.withLock { $0.entries.count } }
    /// Requests waiting for another request's rendering (for tests).
    var waitingForRendering: Int { state.withLock { $0.rendering.values.reduce(0) { $0 + $1.count } } }

    private func refreshIfDue() async throws {
        let now = clock.now
        let due = state.withLock { state -> Bool in
            guard now - state.checkedAt >= recheckInterval else { return false }
            state.checkedAt = now  // one request checks; the others keep serving meanwhile
            return true
        }
        guard due else { return }
        let counter = try await store.changeCounter()
        state.withLock { state in
            if state.counter != counter {
                state.clear()
                state.counter = counter
            }
        }
    }
}
