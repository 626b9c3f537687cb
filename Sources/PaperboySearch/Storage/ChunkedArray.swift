/// An array stored in fixed-size chunks that copies only what a write touches, so a copy
/// (a reader's snapshot of an index) and the original share almost all of their memory.
///
/// Appending writes into the shared last chunk, past the end every other copy can see: each
/// chunk records how far it has been filled, and a copy that appends where another already
/// has gets its own copy of that chunk instead. Replacing an element copies its chunk unless
/// no other copy holds it. So adding a thousand papers to a million-paper index writes a
/// thousand papers' worth of memory, where a Swift array would copy all of it on the first
/// write after a snapshot.
struct ChunkedArray<Element: Sendable>: Sendable {
    /// Elements that belong together (a vector's components), never split across chunks.
    let rowLength: Int
    /// A chunk holds 2^`rowShift` rows.
    let rowShift: Int
    private var chunks: [SharedSlots<Element>] = []
    private(set) var count = 0

    init(rowLength: Int = 1, rowShift: Int = 14) {
        precondition(rowLength > 0 && rowShift >= 0, "a chunk holds at least one element")
        self.rowLength = rowLength
        self.rowShift = rowShift
    }

    var chunkCapacity: Int { rowLength << rowShift }

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "index out of range")
            if rowLength == 1 { return chunks[index >> rowShift].base[index & (chunkCapacity - 1)] }
            return chunks[index / chunkCapacity].base[index % chunkCapacity]
        }
        set {
            precondition(index >= 0 && index < count, "index out of range")
            let chunk = index / chunkCapacity
            if !isKnownUniquelyReferenced(&chunks[chunk]) {
                chunks[chunk] = chunks[chunk].copy(count: min(chunkCapacity, count - chunk * chunkCapacity))
            }
            chunks[chunk].base[index % chunkCapacity] = newValue
        }
    }

    /// The first element of row `row`; valid while this array (or a copy of it) is alive and
    /// the row unchanged.
    @inline(__always)
    func row(_ row: Int) -> UnsafePointer<Element> {
        UnsafePointer(chunks[row >> rowShift].base + (row & ((1 << rowShift) - 1)) * rowLength)
    }

    /// Replaces row `row` with `elements` (`rowLength` of them).
    mutating func setRow(_ row: Int, _ elements: [Element]) {
        precondition(elements.count == rowLength, "a row has \(rowLength) elements")
        for (offset, element) in elements.enumerated() { self[row * rowLength + offset] = element }
    }

    /// The number of chunks, and chunk `i`'s filled part (for scans in lockstep over arrays
    /// with the same rows per chunk).
    var chunkCount: Int { chunks.count }

    func chunk(_ i: Int) -> UnsafeBufferPointer<Element> {
        let start = i * chunkCapacity
        return UnsafeBufferPointer(start: chunks[i].base, count: min(chunkCapacity, count - start))
    }

    mutating func append(_ element: Element) {
        withUnsafePointer(to: element) { append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    mutating func append(contentsOf elements: [Element]) {
        elements.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        var done = 0
        while done < elements.count {
            let slot = count % chunkCapacity
            let length = min(chunkCapacity - slot, elements.count - done)
            if slot == 0 { chunks.append(SharedSlots(capacity: chunkCapacity)) }
            // Another copy may have filled these slots already: then this one writes into its own.
            if !chunks[chunks.count - 1].claim(slot, length) {
                chunks[chunks.count - 1] = chunks[chunks.count - 1].copy(count: slot)
                _ = chunks[chunks.count - 1].claim(slot, length)
            }
            (chunks[chunks.count - 1].base + slot).initialize(from: elements.baseAddress! + done, count: length)
            count += length
            done += length
        }
    }
}

extension ChunkedArray where Element: BitwiseCopyable {
    /// The count, then every element (`IndexFile`).
    func write(to file: IndexFileWriter) {
        file.write(UInt64(count))
        for i in 0..<chunkCount { file.writeBytes(UnsafeRawBufferPointer(chunk(i))) }
    }

    /// Reads what `write(to:)` wrote, a chunk at a time straight into the chunks' memory.
    init(reading file: IndexFileReader, rowLength: Int = 1, rowShift: Int = 14) throws {
        self.init(rowLength: rowLength, rowShift: rowShift)
        let total = try file.readCount(elementSize: MemoryLayout<Element>.stride)
        guard total % rowLength == 0 else { throw IndexFileError("a chunked array holds part of a row") }
        while count < total {
            let length = Swift.min(chunkCapacity, total - count)
            let slots = SharedSlots<Element>(capacity: chunkCapacity)
            try file.fill(UnsafeMutableRawBufferPointer(start: slots.base, count: length * MemoryLayout<Element>.stride))
            _ = slots.claim(0, length)
            chunks.append(slots)
            count += length
        }
    }
}
