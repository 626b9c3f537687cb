import Foundation
import Synchronization

/// Bounds the searches that rank with embeddings: at most `concurrent` run at once, and a
/// newcomer waits only while its expected wait (the searches ahead of it times the recent
/// time a search takes) stays under `maximumWait`, and never behind more than `queued`.
/// Anyone else is refused at once (503 with `Retry-After`). So a burst on an idle server queues
/// briefly, while under overload, latency stays bounded instead of growing without limit as
/// every connection waits its turn.
public final class SearchAdmission: Sendable {
    public struct Limits: Sendable, Equatable {
        public var concurrent: Int
        public var queued: Int
        public var maximumWait: Duration

        public init(
            concurrent: Int = ProcessInfo.processInfo.activeProcessorCount,
            queued: Int? = nil,
            maximumWait: Duration = .milliseconds(10)
        ) {
            self.concurrent = max(1, concurrent)
            self.queued = max(0, queued ?? 32)
            self.maximumWait = maximumWait
        }
    }

    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var refused = 0
        /// Moving average of how long a search took, in seconds (starts at a guess of 5 ms, a
        /// search on a quiet machine).
        var serviceTime = 0.005

        func expectedWait(concurrent: Int) -> Double {
            Double(waiting.count + 1) / Double(concurrent) * serviceTime
        }
    }

    private let state = Mutex(State())
    public let limits: Limits
    private let maximumWaitSeconds: Double

    public init(limits: Limits = Limits()) {
        self.limits = limits
        let (seconds, attoseconds) = limits.maximumWait.components
        self.maximumWaitSeconds = Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Runs `work` when a slot is free, or throws `DomainError.busy` when the queue is full.
    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await enter()
        let started = ContinuousClock.now
        defer { leave(took: ContinuousClock.now - started) }
        return try await work()
    }

    private func enter() async throws {
        // Decide and enqueue under one lock, so a slot freed in between is never missed.
        let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let decided = state.withLock { state -> Bool? in
                if state.running < limits.concurrent {
                    state.running += 1
                    return true
                }
                guard state.waiting.count < limits.queued,
                    state.expectedWait(concurrent: limits.concurrent) <= maximumWaitSeconds
                else {
                    state.refused += 1
                    return false
                }
                state.waiting.append(continuation)
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
        guard admitted else {
            throw DomainError.busy("Search is busy right now. Try again in a second.", retryAfter: 1)
        }
    }

    private func leave(took duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let took = Double(seconds) + Double(attoseconds) / 1e18
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.serviceTime = 0.9 * state.serviceTime + 0.1 * took
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            // The slot passes straight to the first waiter: `running` stays the same.
            return state.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }

    /// Searches refused since start, and how many run and wait now.
    public var statistics: (running: Int, waiting: Int, refused: Int) {
        state.withLock { ($0.running, $0.waiting.count, $0.refused) }
    }
}
