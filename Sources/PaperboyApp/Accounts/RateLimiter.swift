import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import ServiceLifecycle
import Synchronization

/// Token buckets per client key (an address, a token, a reader): each take says whether the
/// action may go on, what is left and when the bucket refills.
public final class RateLimiter: Service {
    public struct Policy: Sendable, Equatable {
        public var name: String
        /// Requests allowed per window.
        public var quota: Int
        public var window: Double
        /// How nodes sharing a store share the buckets.
        public var sharing: Sharing

        public init(name: String, quota: Int, window: Double, sharing: Sharing = .everyTake) {
            self.name = name
            self.quota = quota
            self.window = window
            self.sharing = sharing
        }
    }

    public enum Sharing: Sendable, Equatable {
        /// Each take asks the shared store: exact across nodes, a database round trip a take.
        /// For small limits that guard secrets (log-ins, sign-ups).
        case everyTake
        /// Each node decides from its own view of the bucket, and reports what it took (and
        /// learns what the others took) every `interval` seconds: nodes may together overshoot
        /// by what they take within one interval, and a take costs no round trip. For limits
        /// of hundreds a minute on busy paths (the API).
        case reported(interval: Double)
    }

    /// A node's view of a shared bucket between reports.
    struct View {
        /// Tokens in the shared bucket at the last report, at `updated`.
        var tokens: Double
        var updated: Double
        /// Taken here since the last report.
        var pending: Int
        /// Asked for since the last report (a denied take is not pending, but its key's view
        /// should be refreshed too).
        var asked: Bool
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    public let policy: Policy
    let clock: any WallClock
    /// Where the buckets live when several nodes share them; nil: in this process.
    let shared: (any SharedRateLimits)?
    let logger: Logger
    private let buckets = Mutex([String: Bucket]())
    private let views = Mutex([String: View]())
    /// Whether the last report failed (logged once per outage, not every interval).
    private let reportFailing = Atomic<Bool>(false)

    public init(policy: Policy, clock: any WallClock, shared: (any SharedRateLimits)? = nil, logger: Logger? = nil) {
        self.policy = policy
        self.clock = clock
        self.shared = shared
        self.logger = logger ?? Logger(label: "paperboy.ratelimit")
    }

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Whole tokens left in the bucket.
        public var remaining: Int
        /// Seconds until the next token, 0 when one is left.
        public var resetSeconds: Int
    }

    /// Takes one token for `key`, from the shared bucket when there is one. Should the
    /// database fail to answer, this process's own bucket decides: a limit per node is better
    /// than refusing everyone or letting everyone through.
    public func take(_ key: String) async -> Decision {
        if shared != nil, case .reported = policy.sharing {
            return takeFromView(key)
        }
        if let shared {
            do {
                let (allowed, remaining) = try await shared.takeToken(
                    policy: policy.name,
                    key: key,
                    quota: policy.quota,
                    window: policy.window,
                    now: clock.now
                )
                return decision(allowed: allowed, remaining: remaining)
            } catch {
                logger.warning("shared rate limit unavailable; limiting per node", metadata: ["error": "\(error)"])
            }
        }
        return takeLocally(key)
    }

    /// Reports every interval while the server runs (only for a `.reported` policy on a
    /// shared store; others have nothing to report).
    public func run() async throws {
        guard shared != nil, case .reported(let interval) = policy.sharing else {
            try await gracefulShutdown()
            return
        }
        try await stopQuietlyOnShutdown { [self] in
            while !Task.isCancelled {
                try await clock.sleep(for: .milliseconds(Int(interval * 1000)))
                await report()
            }
        }
        await report()  // what was taken since the last report still counts on the other nodes
    }

    func takeLocally(_ key: String) -> Decision {
        let now = clock.now
        let rate = Double(policy.quota) / policy.window
        let (allowed, remaining) = buckets.withLock { buckets -> (Bool, Double) in
            if buckets.count > 100_000 { buckets.removeAll() }  // bound memory under floods
            var bucket = buckets[key] ?? Bucket(tokens: Double(policy.quota), updated: now)
            bucket.tokens = min(Double(policy.quota), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            return (allowed, bucket.tokens)
        }
        return decision(allowed: allowed, remaining: remaining)
    }

    /// A take decided by this node's view of the shared bucket; recorded for the next report.
    func takeFromView(_ key: String) -> Decision {
        let now = clock.now
        let quota = Double(policy.quota)
        let rate = quota / policy.window
        let (allowed, remaining) = views.withLock { views -> (Bool, Double) in
            if views.count > 100_000 { views.removeAll() }  // bound memory under floods
            var view = views[key] ?? View(tokens: quota, updated: now, pending: 0, asked: false)
            let available = min(quota, view.tokens + max(0, now - view.updated) * rate) - Double(view.pending)
            let allowed = available >= 1
            if allowed { view.pending += 1 }
            view.asked = true
            views[key] = view
            return (allowed, available - (allowed ? 1 : 0))
        }
        return decision(allowed: allowed, remaining: max(0, remaining))
    }

    /// Sends what this node took since the last report to the shared store and takes in what
    /// every node took. Views not asked for within a window are dropped (their buckets are
    /// full again, or will be, as far as this node can tell).
    public func report() async {
        guard let shared else { return }
        let now = clock.now
        let takes = views.withLock { views -> [(key: String, count: Int)] in
            var takes: [(key: String, count: Int)] = []
            for (key, view) in views {
                if view.asked {
                    takes.append((key, view.pending))
                    views[key]?.pending = 0
                    views[key]?.asked = false
                } else if now - view.updated > policy.window {
                    views[key] = nil
                }
            }
            return takes
        }
        guard !takes.isEmpty else { return }
        do {
            let tokens = try await shared.reportTokens(
                policy: policy.name,
                takes: takes,
                quota: policy.quota,
                window: policy.window,
                now: now
            )
            views.withLock { views in
                for (key, left) in tokens where views[key] != nil {
                    views[key]?.tokens = left
                    views[key]?.updated = now
                }
            }
            if reportFailing.exchange(false, ordering: .relaxed) {
                logger.notice("shared rate limit reachable again", metadata: ["policy": "\(policy.name)"])
            }
        } catch {
            // The takes count against this node's view only (each node limits on its own).
            views.withLock { views in
                for (key, count) in takes {
                    guard var view = views[key] else { continue }
                    let quota = Double(policy.quota)
                    view.tokens = min(quota, view.tokens + max(0, now - view.updated) * quota / policy.window) - Double(count)
                    view.updated = now
                    views[key] = view
                }
            }
            if !reportFailing.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "shared rate limit unavailable; limiting per node",
                    metadata: ["policy": "\(policy.name)", "error": "\(error)"]
                )
            }
        }
    }

    private func decision(allowed: Bool, remaining: Double) -> Decision {
        let rate = Double(policy.quota) / policy.window
        let reset = remaining >= 1 ? 0 : Int(((1 - remaining) / rate).rounded(.up))
        return Decision(allowed: allowed, remaining: Int(remaining), resetSeconds: reset)
    }
}
