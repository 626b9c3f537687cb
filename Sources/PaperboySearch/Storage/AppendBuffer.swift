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
    private var storage: SharedSlots<Element>
    private(set) var count = 0

    init() {
        storage = SharedSlots(capacity: 0)
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
        withUnsafePointer(to: element) { append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        guard !elements.isEmpty else { return }
        if count + elements.count > storage.capacity || !storage.claim(count, elements.count) {
            reallocate(capacity: Swift.max(16, storage.capacity * 2, count + elements.count))
            _ = storage.claim(count, elements.count)
        }
        (storage.base + count).initialize(from: elements.baseAddress!, count: elements.count)
        count += elements.count
    }

    /// Element `position`'s address: valid while this buffer or a copy of it is alive and the
    /// element unchanged (appends never move what a copy holds).
    func address(of position: Int) -> UnsafePointer<Element> {
        precondition(position >= 0 && position < count, "index out of range")
        return UnsafePointer(storage.base + position)
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }

    private mutating func reallocate(capacity: Int) {
        storage = storage.copy(count: count, capacity: capacity)
    }
}

extension AppendBuffer where Element: BitwiseCopyable {
    /// The count, then the elements (`IndexFile`).
    func write(to file: IndexFileWriter) {
        file.write(UInt64(count))
        withUnsafeBufferPointer { file.writeBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Reads what `write(to:)` wrote, with `spare` more elements' capacity to append into.
    init(reading file: IndexFileReader, spare: (Int) -> Int = { _ in 0 }) throws {
        let count = try file.readCount(elementSize: MemoryLayout<Element>.stride)
        storage = SharedSlots(capacity: count + spare(count))
        try file.fill(UnsafeMutableRawBufferPointer(start: storage.base, count: count * MemoryLayout<Element>.stride))
        _ = storage.claim(0, count)
        self.count = count
    }
}
