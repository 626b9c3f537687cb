import Foundation
import PaperboyCore
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
    private let buckets = Mutex([String: Bucket]())

    public init(policy: Policy, clock: any WallClock) {
        self.policy = policy
        self.clock = clock
    }

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Whole tokens left in the bucket.
        public var remaining: Int
        /// Seconds until the next token, 0 when one is left.
        public var resetSeconds: Int
    }

    /// Takes one token for `key`.
    public func take(_ key: String) -> Decision {
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
        let reset = remaining >= 1 ? 0 : Int(((1 - remaining) / rate).rounded(.up))
        return Decision(allowed: allowed, remaining: Int(remaining), resetSeconds: reset)
    }
}
