import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import Synchronization

/// Token buckets per client key (an address, a token, a reader): each take says whether the
/// action may go on, what is left and when the bucket refills.
public final class RateLimiter: Sendable {
    public struct Policy: Sendable, Equatable {
        public var name: String
        /// Requests allowed per window.
        public var quota: Int
        public var window: Double

        public init(name: String, quota: Int, window: Double) {
            self.name = name
            self.quota = quota
            self.window = window
        }
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

    private func decision(allowed: Bool, remaining: Double) -> Decision {
        let rate = Double(policy.quota) / policy.window
        let reset = remaining >= 1 ? 0 : Int(((1 - remaining) / rate).rounded(.up))
        return Decision(allowed: allowed, remaining: Int(remaining), resetSeconds: reset)
    }
}
