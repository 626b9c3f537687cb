import Foundation

/// Reusable score accumulators, so a search does not allocate and zero a buffer the size of
/// the collection each time. Concurrent searches each take their own buffer.
/// (An `NSLock` rather than `Mutex`, which needs macOS 15; the package supports macOS 14.)
final class ScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [[Float]] = []  // guarded by `lock`

    /// Runs `body` with a zeroed accumulator of at least `count` entries. `body` must leave
    /// every entry it touched at zero again.
    func withAccumulator<R>(count: Int, _ body: (inout [Float]) -> R) -> R {
        var buffer = lock.withLock { free.popLast() } ?? []
        if buffer.count < count {
            buffer = [Float](repeating: 0, count: count + count / 8)
        }
        let result = body(&buffer)
        lock.withLock {
            if free.count < 8 { free.append(buffer) }
        }
        return result
    }
}
