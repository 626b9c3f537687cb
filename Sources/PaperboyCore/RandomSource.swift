import Synchronization

/// Where secrets, tokens and message ids get their randomness: the system's generator in
/// production, a seeded one in tests that need repeatable values.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

extension RandomSource {
    /// A random 64-bit number.
    public func uint64() -> UInt64 {
        bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// `count` random bytes as lowercase hex.
    public func hex(_ count: Int) -> String {
        bytes(count).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }
}

/// The operating system's cryptographically secure generator.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// A repeatable sequence (SplitMix64) for tests; never for secrets in production.
public final class SeededRandomSource: RandomSource {
    private let generator: Mutex<SplitMix64>

    public init(seed: UInt64) {
        generator = Mutex(SplitMix64(seed: seed))
    }

    public func bytes(_ count: Int) -> [UInt8] {
        generator.withLock { generator in
            (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }
}
