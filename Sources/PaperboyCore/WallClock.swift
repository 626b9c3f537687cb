#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The current time, behind a seam so tests can fix it.
public protocol WallClock: Sendable {
    /// Seconds since 1970-01-01 UTC.
    var now: Double { get }
}

public struct SystemClock: WallClock {
    public init() {}
    public var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

public struct FixedClock: WallClock {
    public var now: Double
    public init(now: Double) { self.now = now }
    public init(_ day: FeedDay, hour: Double = 0) { self.now = day.startTimestamp + hour * 3600 }
}
