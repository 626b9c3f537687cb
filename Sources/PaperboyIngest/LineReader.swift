import CZlib
import Foundation

/// Reads a text file line by line, transparently inflating gzip (`.gz`, or any file that
/// starts with the gzip magic bytes), without loading the whole file into memory.
///
/// Each byte is searched for a line end once, however long its line, and a line longer than
/// `maxLineLength` is skipped as it streams past rather than held whole.
public final class LineReader {
    public enum ReadError: Error, CustomStringConvertible {
        case cannotOpen(String, reason: String)
        case corruptGzip(String)
        case lineTooLong(byteCount: Int, limit: Int)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
            case .corruptGzip(let path): return "\(path): corrupt or truncated gzip data"
            case .lineTooLong(let byteCount, let limit): return Self.tooLong(byteCount, limit)
            }
        }

        static func tooLong(_ byteCount: Int, _ limit: Int) -> String {
            "record is \(byteCount.formattedWithSeparators) bytes, over the \(limit.formattedWithSeparators)-byte limit"
        }
    }

    /// One line of the file, or the length of one that was over the limit and skipped.
    public enum Record: Equatable {
        case line(Data)
        case oversized(byteCount: Int)
    }

    public static let defaultMaxLineLength = 1 << 20

    private let path: String
    private let handle: FileHandle
    private var stream = z_stream()
    private let isGzip: Bool
    public let maxLineLength: Int
    private var pending = Data()
    private var finished = false
    /// Compressed bytes consumed so far, for progress reporting.
    public private(set) var bytesRead = 0
    /// Bytes searched for a line end so far: at the end of the file, its inflated size.
    public private(set) var bytesScanned = 0
    public let fileSize: Int

    public init(path: String, maxLineLength: Int = LineReader.defaultMaxLineLength) throws {
        if let problem = FileAccess.readProblem(path) { throw ReadError.cannotOpen(path, reason: problem) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError.cannotOpen(path, reason: "unknown reason")
        }
        self.path = path
        self.handle = handle
        self.maxLineLength = maxLineLength
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        self.fileSize = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let head = handle.readData(ofLength: 2)
        handle.seek(toFileOffset: 0)
        isGzip = head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
        if isGzip {
            // 15 + 32: accept gzip and zlib headers.
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw ReadError.corruptGzip(path)
            }
        }
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        try? handle.close()
    }

    /// The next line without its terminator, or nil at the end of the file. A line over
    /// `maxLineLength` throws `ReadError.lineTooLong`; reading can go on after it.
    public func nextLine() throws -> Data? {
        switch try nextRecord() {
        case .line(let line): return line
        case .oversized(let byteCount): throw ReadError.lineTooLong(byteCount: byteCount, limit: maxLineLength)
        case nil: return nil
        }
    }

    /// The next line without its terminator, an oversized line's length, or nil at the end of the file.
    public func nextRecord() throws -> Record? {
        while true {
            if let newline = nextNewline() {
                defer {
                    lineStart = newline + 1
                    skipped = nil
                }
                var line = pending[pending.startIndex + lineStart..<pending.startIndex + newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if let skipped { return .oversized(byteCount: skipped + line.count) }
                if line.count > maxLineLength { return .oversized(byteCount: line.count) }
                return .line(Data(line))
            }
            dropConsumedBytes()
            if finished {
                defer {
                    pending.removeAll()
                    skipped = nil
                }
                if let skipped { return .oversized(byteCount: skipped + pending.count) }
                guard !pending.isEmpty else { return nil }
                return pending.count > maxLineLength ? .oversized(byteCount: pending.count) : .line(pending)
            }
            try fill()
        }
    }

    /// Offset in `pending` of the first unread line.
    private var lineStart = 0
    /// Offset in `pending` up to which there is no line end: later searches start there, so a
    /// long line arriving over many refills is still searched once.
    private var scanned = 0
    /// Bytes already dropped from the current line for being over the limit, nil while under it.
    private var skipped: Int?

    /// Offset of the next line end after `lineStart` in what `pending` holds, if there is one.
    private func nextNewline() -> Int? {
        let from = max(scanned, lineStart)
        let found = pending.withUnsafeBytes { bytes -> Int? in
            guard from < bytes.count, let base = bytes.baseAddress,
                let hit = memchr(base + from, Int32(UInt8(ascii: "\n")), bytes.count - from)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        bytesScanned += (found.map { $0 + 1 } ?? pending.count) - from
        scanned = found.map { $0 + 1 } ?? pending.count
        return found
    }

    /// Drops consumed lines, once per buffer refill rather than once per line, and the start of
    /// a line already over the limit, so memory stays near the limit whatever the line's length.
    private func dropConsumedBytes() {
        pending.removeSubrange(pending.startIndex..<pending.startIndex + lineStart)
        scanned -= lineStart
        lineStart = 0
        // One byte of slack for a "\r" before the "\n", which is not part of the line.
        if skipped != nil || pending.count > maxLineLength + 1 {
            skipped = (skipped ?? 0) + pending.count
            pending.removeAll(keepingCapacity: true)
            scanned = 0
        }
    }

    /// Set when the gzip stream reached its end marker; a file that stops before it is truncated.
    private var streamEnded = false
    /// Compressed bytes read but not yet inflated start at `rawInput[rawConsumed]`.
    private var rawInput = Data()
    private var rawConsumed = 0
    /// Set when zlib can make no progress without more compressed input.
    private var needsInput = true
    private var inflated = [UInt8](repeating: 0, count: 1 << 18)

    private func fill() throws {
        guard isGzip else {
            let chunk = readChunk()
            if chunk.isEmpty { finished = true } else { pending.append(chunk) }
            return
        }
        // Otherwise zlib may still hold output for what it has read, even with no input left.
        if needsInput || (streamEnded && rawConsumed == rawInput.count) {
            let chunk = readChunk()
            if chunk.isEmpty {
                guard streamEnded else { throw ReadError.corruptGzip(path) }
                finished = true
                return
            }
            rawInput = rawConsumed < rawInput.count ? Data(rawInput.dropFirst(rawConsumed)) + chunk : chunk
            rawConsumed = 0
            needsInput = false
        }
        try inflateInput()
    }

    private func readChunk() -> Data {
        let chunk = handle.readData(ofLength: 1 << 20)
        bytesRead += chunk.count
        return chunk
    }

    /// Inflates about a megabyte of what `rawInput` holds into `pending`: a small compressed chunk
    /// can hold a huge line, and the line limit can only act between refills.
    private func inflateInput() throws {
        var produced = 0
        let total = rawInput.count
        try rawInput.withUnsafeMutableBytes { (input: UnsafeMutableRawBufferPointer) in
            stream.next_in = input.baseAddress!.advanced(by: rawConsumed).assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(total - rawConsumed)
            defer { rawConsumed = total - Int(stream.avail_in) }
            while produced < 1 << 20 {
                if streamEnded {
                    guard stream.avail_in > 0 else { return }
                    // Concatenated gzip members are legal: start on the next one.
                    inflateReset(&stream)
                    streamEnded = false
                }
                let status = inflated.withUnsafeMutableBytes { out -> Int32 in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let count = inflated.count - Int(stream.avail_out)
                inflated.withUnsafeBytes { pending.append($0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count) }
                produced += count
                switch status {
                case Z_STREAM_END: streamEnded = true
                case Z_OK:
                    // Input used up with room left in the output: all it held is out.
                    if stream.avail_in == 0 && stream.avail_out > 0 { needsInput = true }
                case Z_BUF_ERROR: needsInput = true
                default: throw ReadError.corruptGzip(path)
                }
                if needsInput { return }
            }
        }
    }
}

extension Int {
    /// 52428800 as "52,428,800", whatever the locale, for messages.
    var formattedWithSeparators: String {
        let digits = String(magnitude)
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return (self < 0 ? "-" : "") + groups.joined(separator: ",")
    }
}
