import Logging
import PaperboyCore
import PaperboyStore
import ServiceLifecycle
import Synchronization

/// Tells this node's caches and search index at once when any node commits a change (on a
/// store that can say so: `ChangeNotifying`), instead of at their next poll.
public final class StoreChanges: Service {
    let store: any ChangeNotifying
    let logger: Logger
    private let handlers = Mutex<[@Sendable () -> Void]>([])

    public init(store: any ChangeNotifying, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Adds something to call after each change (before `run`).
    public func onChange(_ handler: @escaping @Sendable () -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    func changed() {
        for handler in handlers.withLock({ $0 }) { handler() }
    }

    public func run() async throws {
        try await stopQuietlyOnShutdown { [self] in
            try await store.watchChanges { [self] in changed() }
        }
    }
}

/// A signal a loop can wait on with a deadline: `signal()` ends the current or the next wait
/// early. Signals while nobody waits are kept as one.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after `timeout` on `clock`, or sooner when signalled.
    public func wait(upTo timeout: Duration, on clock: any WallClock) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(for: timeout) }
            group.addTask { [self] in
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.pending || Task.isCancelled {
                                state.pending = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
