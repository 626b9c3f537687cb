#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ranks papers by upvotes decayed by age, the way Hacker News ranks stories:
///
///     score = upvotes / (ageHours + 2) ^ gravity
///
/// `ageHours` is the time since the paper was put on the feed (the start of its feed day,
/// UTC), never negative. The `+ 2` keeps a paper featured a minute ago from dividing by ~0,
/// and `gravity` (1.5 by default) sets how fast yesterday's papers sink: with 1.5 a paper
/// needs about 2.8x the upvotes to rank level with one a day younger at the 1-day mark.
public struct TrendingFormula: Sendable, Equatable {
    public var gravity: Double
    public var offsetHours: Double

    public init(gravity: Double = 1.5, offsetHours: Double = 2) {
        self.gravity = gravity
        self.offsetHours = offsetHours
    }

    /// - Parameters:
    ///   - featuredAt: Unix time the paper entered the feed.
    ///   - now: Unix time of the ranking.
    public func score(upvotes: Int, featuredAt: Double, now: Double) -> Double {
        let ageHours = max(0, now - featuredAt) / 3600
        return Double(max(0, upvotes)) / pow(ageHours + offsetHours, gravity)
    }
}
