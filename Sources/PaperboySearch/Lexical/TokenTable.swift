/// A hash map from a token's UTF-8 bytes to an Int32, with long keys stored in one arena.
///
/// The index build looks up every word occurrence (millions) and almost always hits; doing
/// that with `[String: Int32]` means building a String and running SipHash each time, which
/// was a third of the build. This table hashes the raw bytes and keeps each key's first eight
/// bytes in its slot, so most lookups touch one cache line and never the arena.
struct TokenTable {
    private var arena: [UInt8] = []  // bytes 9... of keys longer than eight bytes
    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    private struct Slot {
        var head: UInt64 = 0  // first eight bytes, zero padded
        var tailOffset: UInt32 = 0
        var value: Int32 = 0
        var length: UInt32 = 0  // 0 marks an empty slot (tokens are never empty)
    }

    init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Slot](repeating: Slot(), count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func head(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var head: UInt64 = 0
        for i in 0..<min(8, bytes.count) { head |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        return head
    }

    @inline(__always)
    private static func hash(head: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h = (head ^ UInt64(bytes.count)) &* 0x9E37_79B9_7F4A_7C15
        var i = 8
        while i < bytes.count {
            h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01B3
            i += 1
        }
        return Int(truncatingIfNeeded: h >> 32 ^ h >> 7)  // the multiply leaves its best bits high
    }

    func value(for bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        let head = TokenTable.head(bytes)
        var i = TokenTable.hash(head: head, bytes) & mask
        return slots.withUnsafeBufferPointer { slots in
            while slots[i].length != 0 {
                let slot = slots[i]
                if slot.head == head && Int(slot.length) == bytes.count && tailMatches(slot, bytes) {
                    return slot.value
                }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    @inline(__always)
    private func tailMatches(_ slot: Slot, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 8 else { return true }
        return arena.withUnsafeBufferPointer { arena in
            let tail = Int(slot.tailOffset)
            for j in 8..<bytes.count where arena[tail + j - 8] != bytes[j] { return false }
            return true
        }
    }

    /// Inserts a key that is not present yet.
    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, value: Int32) {
        precondition(!bytes.isEmpty, "tokens are never empty")
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let tailOffset = UInt32(arena.count)
        if bytes.count > 8 { arena.append(contentsOf: bytes[8...]) }
        let head = TokenTable.head(bytes)
        let slot = Slot(head: head, tailOffset: tailOffset, value: value, length: UInt32(bytes.count))
        place(slot, hash: TokenTable.hash(head: head, bytes))
        count += 1
    }

    private mutating func place(_ slot: Slot, hash: Int) {
        var i = hash & mask
        while slots[i].length != 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.length != 0 {
            place(slot, hash: rehash(slot))
        }
    }

    /// The hash of a stored key, rebuilt from its slot and arena tail.
    private func rehash(_ slot: Slot) -> Int {
        var bytes = [UInt8](repeating: 0, count: Int(slot.length))
        for i in 0..<min(8, bytes.count) { bytes[i] = UInt8(truncatingIfNeeded: slot.head >> (8 * UInt64(i))) }
        for j in 8..<max(8, bytes.count) { bytes[j] = arena[Int(slot.tailOffset) + j - 8] }
        return bytes.withUnsafeBufferPointer { TokenTable.hash(head: slot.head, $0) }
    }
}
