import PaperboyCore
import Synchronization

/// A wall clock whose time moves only when a test moves it.
///
/// `sleep(for:)` suspends until `advance(by:)` (or `advance(to:)`) takes `now` past the
/// sleeper's deadline, so timing-dependent code runs in microseconds of real time and a test
/// can check what happens before and after a deadline. `sleepers(atLeast:)` waits until the
/// code under test is suspended in a sleep, which is when advancing the clock is meaningful.
public final class TestClock: WallClock {
    private struct Sleeper {
        var id: Int
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var id: Int
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Double
        var nextID = 0
        var sleepers: [Sleeper] = []
        var waiters: [Waiter] = []
        /// Every duration ever slept, in the order the sleeps began.
        var requested: [Duration] = []

        /// Removes and returns the waiters whose count is reached.
        mutating func satisfiedWaiters() -> [Waiter] {
            let count = sleepers.count
            let satisfied = waiters.filter { $0.count <= count }
            waiters.removeAll { $0.count <= count }
            return satisfied
        }
    }

    private let state: Mutex<State>

    /// Starts at `now` seconds since 1970.
    public init(now: Double = 0) {
        state = Mutex(State(now: now))
    }

    public var now: Double { state.withLock { $0.now } }

    /// Suspends until the clock reaches `now + duration`; a duration of zero or less returns at
    /// once. Throws `CancellationError` when the task is cancelled, before or while sleeping.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state in
            state.nextID += 1
            state.requested.append(duration)
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Registration {
                    case suspended([Waiter])
                    case due
                    case cancelled
                }
                let registration = state.withLock { state -> Registration in
                    // Checked under the lock: the cancellation handler either runs after this
                    // (and finds the sleeper) or has already run (and the flag is set).
                    if Task.isCancelled { return .cancelled }
                    let deadline = state.now + duration.seconds
                    guard deadline > state.now else { return .due }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .suspended(state.satisfiedWaiters())
                }
                switch registration {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .due: continuation.resume()
                case .suspended(let waiters): for waiter in waiters { waiter.continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline has passed,
    /// earliest deadline first.
    public func advance(by duration: Duration) {
        advance { $0.now + duration.seconds }
    }

    /// Moves time to `instant` (never backwards) and resumes every sleeper due by then,
    /// earliest deadline first.
    public func advance(to instant: Double) {
        advance { _ in instant }
    }

    /// Moves time to `target(state)`, read and set under one lock.
    private func advance(_ target: (State) -> Double) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, target(state))
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline, waking it (and any due at the same
    /// instant); false when nothing sleeps.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        var found = false
        advance { state in
            guard let next = state.sleepers.map(\.deadline).min() else { return state.now }
            found = true
            return next
        }
        return found
    }

    /// Returns once at least `count` sleeps are suspended on this clock, or when the calling
    /// task is cancelled.
    public func sleepers(atLeast count: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if Task.isCancelled || state.sleepers.count >= count { return true }
                    state.waiters.append(Waiter(id: id, count: count, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }

    /// The deadlines of the suspended sleepers, earliest first.
    public var deadlines: [Double] {
        state.withLock { $0.sleepers.map(\.deadline).sorted() }
    }

    /// Every duration slept on this clock so far, in the order the sleeps began.
    public var sleptDurations: [Duration] {
        state.withLock { $0.requested }
    }

    /// Runs `work` while a helper moves time to the earliest deadline whenever something
    /// sleeps: work that would wait minutes (retries, back-offs) finishes at once, and `now`
    /// afterwards says how much clock time it took.
    public func advancingToEachDeadline<T>(_ work: () async throws -> T) async rethrows -> T {
        let driver = Task {
            while true {
                await sleepers(atLeast: 1)
                guard !Task.isCancelled else { return }
                advanceToNextDeadline()
            }
        }
        defer { driver.cancel() }
        return try await work()
    }
}
