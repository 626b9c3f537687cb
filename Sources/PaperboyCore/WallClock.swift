#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The current time and waiting, behind one seam: services read `now` and `sleep` here, so a
/// test can fix the time, or move it by hand and see every timer due by then fire.
public protocol WallClock: Sendable {
    /// Seconds since 1970-01-01 UTC.
    var now: Double { get }
    /// Suspends for `duration` of this clock's time; throws `CancellationError` when cancelled.
    func sleep(for duration: Duration) async throws
}

extension WallClock {
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

public struct SystemClock: WallClock {
    public init() {}
    public var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// A clock stopped at one instant (digest editions are ranked "as of" their send time).
public struct FixedClock: WallClock {
    public var now: Double
    public init(now: Double) { self.now = now }
    public init(_ day: FeedDay, hour: Double = 0) { self.now = day.startTimestamp + hour * 3600 }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
