import CZlib
import Foundation

/// A search index written to disk, so a server starts by reading it back instead of rebuilding
/// from the database (at a million papers: seconds instead of minutes).
///
/// The format is this program's own and changes with it: a header (magic, `formatVersion`),
/// then values in the order the types' `write(to:)` methods put them, each array as a count
/// and its raw little-endian elements, then a trailer with the CRC-32 of everything before it.
/// A reader that meets another version, a short file or a wrong checksum throws
/// `IndexFileError`, and the caller rebuilds from the database: the file is a cache, never
/// the source of truth. Writers write a temporary file and rename it into place, so a reader
/// sees the old file or the new one, never half of one.
public enum IndexFile {
    /// Bumped whenever any persisted type's layout changes.
    public static let formatVersion: UInt32 = 3
    /// The first and last eight bytes of every index file ("PBYINDEX", "PBIDXEND" as ASCII).
    static let magic: UInt64 = 0x5845_444E_4959_4250
    static let trailerMagic: UInt64 = 0x444E_4558_4449_4250
}

public struct IndexFileError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes an index file: buffered, checksummed, then renamed into place by `commit()`.
public final class IndexFileWriter {
    private let path: String
    private let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var checksum: UInt = crc32(0, nil, 0)
    private var committed = false
    private static let bufferSize = 1 << 22

    public init(path: String) throws {
        self.path = path
        temporaryPath = path + ".partial-\(getpid())"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw IndexFileError("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(IndexFileWriter.bufferSize)
        write(IndexFile.magic)
        write(IndexFile.formatVersion)
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Flushes, appends the checksum, syncs and renames the file into place.
    public func commit() throws {
        try flush()
        let sum = UInt64(checksum)
        buffer.append(contentsOf: Swift.withUnsafeBytes(of: sum.littleEndian) { Array($0) })
        buffer.append(contentsOf: Swift.withUnsafeBytes(of: IndexFile.trailerMagic.littleEndian) { Array($0) })
        try drain()
        guard fsync(descriptor) == 0 else { throw IndexFileError("cannot sync \(temporaryPath)") }
        close(descriptor)
        committed = true
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw IndexFileError("cannot rename \(temporaryPath) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func write<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append($0) }
    }

    public func write(_ value: Float) { write(value.bitPattern) }
    public func write(_ value: Double) { write(value.bitPattern) }
    public func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    public func write(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            write(UInt64(bytes.count))
            append(UnsafeRawBufferPointer(bytes))
        }
    }

    /// A count and the raw elements (plain values only: integers, floats, structs of them).
    public func write<T: BitwiseCopyable>(_ values: [T]) {
        write(UInt64(values.count))
        values.withUnsafeBytes { append($0) }
    }

    /// Raw bytes with no count in front (the caller wrote it).
    func writeBytes(_ bytes: UnsafeRawBufferPointer) { append(bytes) }

    /// Strings as their lengths, then all their UTF-8 bytes in one run.
    public func write<S: Sequence<String>>(strings: S, count: Int) {
        var lengths: [UInt32] = []
        lengths.reserveCapacity(count)
        var bytes: [UInt8] = []
        for string in strings {
            var string = string
            string.withUTF8 { utf8 in
                lengths.append(UInt32(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }
        precondition(lengths.count == count, "\(lengths.count) strings, \(count) announced")
        write(lengths)
        write(bytes)
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        checksum = crc32_z(checksum, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if buffer.count + bytes.count <= IndexFileWriter.bufferSize {
            buffer.append(contentsOf: bytes)
            return
        }
        if failure == nil { try? drain() }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 {
                failure = failure ?? IndexFileError("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
                return
            }
            offset += written
        }
    }

    private var failure: IndexFileError?

    private func flush() throws {
        try drain()
        if let failure { throw failure }
    }

    private func drain() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else {
                failure = failure ?? IndexFileError("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
                buffer.removeAll(keepingCapacity: true)
                throw failure!
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads an index file written by `IndexFileWriter`; every read checks that the file holds
/// what it asks for, and `finish()` checks the checksum.
public final class IndexFileReader {
    private let path: String
    private let descriptor: Int32
    private let size: Int
    private var offset = 0
    private var checksum: UInt = crc32(0, nil, 0)

    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw IndexFileError("cannot read \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw IndexFileError("cannot read \(path)")
        }
        size = Int(status.st_size) - 16  // the trailer
        guard size >= 12 else {
            close(descriptor)
            throw IndexFileError("\(path) is too short to be an index file")
        }
        guard try read(UInt64.self) == IndexFile.magic else { throw IndexFileError("\(path) is not an index file") }
        let version = try read(UInt32.self)
        guard version == IndexFile.formatVersion else {
            throw IndexFileError("\(path) has format \(version); this program reads \(IndexFile.formatVersion)")
        }
    }

    deinit { close(descriptor) }

    /// Checks that everything was read and that the checksum matches.
    public func finish() throws {
        guard offset == size else { throw IndexFileError("\(path) has \(size - offset) bytes nobody read") }
        var trailer = [UInt64](repeating: 0, count: 2)
        try trailer.withUnsafeMutableBytes { try fill($0, checksummed: false) }
        guard UInt64(littleEndian: trailer[1]) == IndexFile.trailerMagic, UInt64(littleEndian: trailer[0]) == UInt64(checksum) else {
            throw IndexFileError("\(path) is damaged (checksum)")
        }
    }

    public func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        var value = T.zero
        try Swift.withUnsafeMutableBytes(of: &value) { try fill($0) }
        return T(littleEndian: value)
    }

    public func read(_: Float.Type) throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public func read(_: Double.Type) throws -> Double { Double(bitPattern: try read(UInt64.self)) }
    public func read(_: Bool.Type) throws -> Bool { try read(UInt8.self) != 0 }

    public func read(_: String.Type) throws -> String {
        let bytes: [UInt8] = try readArray()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An array written by `write(_:)`: its count, then its elements.
    public func readArray<T: BitwiseCopyable>(of _: T.Type = T.self) throws -> [T] {
        let count = try readCount(elementSize: MemoryLayout<T>.stride)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            try fill(UnsafeMutableRawBufferPointer(buffer))
            initialised = count
        }
    }

    /// Reads a count written before `count` elements of `elementSize` bytes, refusing one the
    /// rest of the file cannot hold.
    func readCount(elementSize: Int) throws -> Int {
        let count = try read(UInt64.self)
        guard count <= UInt64(size - offset) / UInt64(max(1, elementSize)) else {
            throw IndexFileError("\(path) is damaged (a count of \(count) runs past its end)")
        }
        return Int(count)
    }

    /// Strings written by `write(strings:count:)`.
    public func readStrings() throws -> [String] {
        let lengths: [UInt32] = try readArray()
        let bytes: [UInt8] = try readArray()
        var strings: [String] = []
        strings.reserveCapacity(lengths.count)
        var start = 0
        try bytes.withUnsafeBufferPointer { bytes in
            for length in lengths {
                let end = start + Int(length)
                guard end <= bytes.count else { throw IndexFileError("\(path) is damaged (string lengths)") }
                strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                start = end
            }
        }
        guard start == bytes.count else { throw IndexFileError("\(path) is damaged (string lengths)") }
        return strings
    }

    /// Fills `target` with the next bytes of the file: small reads from a buffer (a million
    /// posting lists would otherwise be three million system calls), large ones straight into
    /// `target`.
    func fill(_ target: UnsafeMutableRawBufferPointer, checksummed: Bool = true) throws {
        guard target.count > 0 else { return }
        guard !checksummed || target.count <= size - offset else { throw IndexFileError("\(path) ends too soon") }
        var done = 0
        let buffered = min(target.count, buffer.count - bufferPosition)
        if checksummed && buffered > 0 {
            buffer.withUnsafeBytes { target.baseAddress!.copyMemory(from: $0.baseAddress! + bufferPosition, byteCount: buffered) }
            bufferPosition += buffered
            done = buffered
        }
        if checksummed && done < target.count && target.count - done < IndexFileReader.bufferSize / 4 {
            try refill()
            let more = min(target.count - done, buffer.count)
            buffer.withUnsafeBytes { (target.baseAddress! + done).copyMemory(from: $0.baseAddress!, byteCount: more) }
            bufferPosition = more
            done += more
        }
        let fileOffset = checksummed ? offset + done : size
        var direct = 0
        while done + direct < target.count {
            let got = pread(descriptor, target.baseAddress! + done + direct, target.count - done - direct, off_t(fileOffset + direct))
            guard got > 0 else { throw IndexFileError("\(path) ends too soon") }
            direct += got
        }
        if checksummed {
            if direct > 0 {
                buffer.removeAll(keepingCapacity: true)
                bufferPosition = 0
                bufferEnd = offset + done + direct
            }
            checksum = crc32_z(checksum, target.baseAddress!.assumingMemoryBound(to: UInt8.self), target.count)
            offset += target.count
        }
    }

    private static let bufferSize = 1 << 20
    private var buffer: [UInt8] = []
    private var bufferPosition = 0
    /// The file offset just past what has been read into `buffer` (or past a direct read).
    private var bufferEnd = 0

    /// Reads the next stretch of the file (up to the trailer) into `buffer`.
    private func refill() throws {
        let length = min(IndexFileReader.bufferSize, size - bufferEnd)
        buffer = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + got, length - got, off_t(bufferEnd + got)) }
            guard n > 0 else { throw IndexFileError("\(path) ends too soon") }
            got += n
        }
        bufferEnd += length
        bufferPosition = 0
    }
}
