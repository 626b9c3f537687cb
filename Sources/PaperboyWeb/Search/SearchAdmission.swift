import Foundation
import Synchronization

/// Bounds the searches that rank with embeddings: at most `concurrent` run at once, at most
/// `queued` more wait, and any beyond that are refused at once (503 with `Retry-After`).
/// Under overload, latency stays that of a short queue instead of growing without bound
/// while every connection waits its turn.
public final class SearchAdmission: Sendable {
    public struct Limits: Sendable, Equatable {
        public var concurrent: Int
        public var queued: Int

        public init(concurrent: Int = ProcessInfo.processInfo.activeProcessorCount, queued: Int = 8) {
            self.concurrent = max(1, concurrent)
            self.queued = max(0, queued)
        }
    }

    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var refused = 0
    }

    private let state = Mutex(State())
    public let limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Runs `work` when a slot is free, or throws `AppError.overloaded` when the queue is full.
    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
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
                guard state.waiting.count < limits.queued else {
                    state.refused += 1
                    return false
                }
                state.waiting.append(continuation)
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
        guard admitted else {
            throw AppError.overloaded("Search is busy right now. Try again in a second.", retryAfter: 1)
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
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
