import Synchronization

/// A contiguous array whose copies share its spare capacity, for posting lists that a reader's
/// snapshot holds while the writer appends.
///
/// A Swift array copies all of itself on the first append after a copy was taken; adding a
/// thousand papers to a million-paper index then copied most of the postings. Here a copy
/// appends in place past the end every other copy can see (each buffer records how far it has
/// been filled, so of two copies appending at the same place only the first writes there; the
/// other moves to a buffer of its own), and copies only when the capacity runs out, as an
/// array grows anyway. Writing an existing element copies the buffer unless no other copy
/// holds it.
struct AppendBuffer<Element: Sendable>: Sendable, RandomAccessCollection {
    private var storage: Storage
    private(set) var count = 0

    init() {
        storage = Storage(capacity: 0)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < count, "index out of range")
            return storage.base[position]
        }
        set {
            precondition(position >= 0 && position < count, "index out of range")
            if !isKnownUniquelyReferenced(&storage) { reallocate(capacity: storage.capacity) }
            storage.base[position] = newValue
        }
    }

    mutating func reserveCapacity(_ capacity: Int) {
        if capacity > storage.capacity { reallocate(capacity: capacity) }
    }

    mutating func append(_ element: Element) {
        if count == storage.capacity || !storage.claim(count) {
            reallocate(capacity: Swift.max(16, storage.capacity * 2, count + 1))
            _ = storage.claim(count)
        }
        (storage.base + count).initialize(to: element)
        count += 1
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }

    private mutating func reallocate(capacity: Int) {
        let copy = Storage(capacity: capacity)
        copy.base.initialize(from: storage.base, count: count)
        copy.markFilled(count)
        storage = copy
    }

    /// The elements. Slots below `filled` are initialised; a copy reads only below its own
    /// `count`, which is at most `filled`.
    final class Storage: @unchecked Sendable {
        let base: UnsafeMutablePointer<Element>
        let capacity: Int
        private let filled = Atomic<Int>(0)

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: Swift.max(1, capacity))
        }

        /// Takes slot `slot` for writing if it is the first unfilled one.
        func claim(_ slot: Int) -> Bool {
            filled.compareExchange(expected: slot, desired: slot + 1, ordering: .acquiringAndReleasing).exchanged
        }

        func markFilled(_ count: Int) { filled.store(count, ordering: .releasing) }

        deinit {
            base.deinitialize(count: filled.load(ordering: .acquiring))
            base.deallocate()
        }
    }
}
