import Synchronization

/// Fixed-capacity element storage that several copies of a value (an index and the snapshots
/// readers took of it) hold at once, for `ChunkedArray` and `AppendBuffer`. Slots below
/// `filled` are initialised and never written again; a copy reads only below its own count,
/// which is at most `filled`, and writes past it only after claiming the slots, so of two
/// copies appending at the same place only the first writes there.
final class SharedSlots<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let capacity: Int
    private let filled = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: Swift.max(1, capacity))
    }

    /// Takes `length` slots from `slot` for writing if `slot` is the first unfilled one.
    func claim(_ slot: Int, _ length: Int = 1) -> Bool {
        filled.compareExchange(expected: slot, desired: slot + length, ordering: .acquiringAndReleasing).exchanged
    }

    /// New storage of `capacity` slots (this one's by default) holding this one's first
    /// `count` elements.
    func copy(count: Int, capacity: Int? = nil) -> SharedSlots {
        let copy = SharedSlots(capacity: capacity ?? self.capacity)
        copy.base.initialize(from: base, count: count)
        copy.filled.store(count, ordering: .releasing)
        return copy
    }

    deinit {
        base.deinitialize(count: filled.load(ordering: .acquiring))
        base.deallocate()
    }
}
