import CZlib
import Foundation

/// Reads a text file line by line, transparently inflating gzip (`.gz`, or any file that
/// starts with the gzip magic bytes), without loading the whole file into memory.
public final class LineReader {
    public enum ReadError: Error, CustomStringConvertible {
        case cannotOpen(String)
        case corruptGzip(String)

        public var description: String {
            switch self {
            case .cannotOpen(let path): return "cannot open \(path)"
            case .corruptGzip(let path): return "\(path): corrupt or truncated gzip data"
            }
        }
    }

    private let path: String
    private let handle: FileHandle
    private var stream = z_stream()
    private let isGzip: Bool
    private var pending = Data()
    private var finished = false
    private var rawInput = Data()
    /// Compressed bytes consumed so far, for progress reporting.
    public private(set) var bytesRead = 0
    public let fileSize: Int

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReadError.cannotOpen(path) }
        self.path = path
        self.handle = handle
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

    /// The next line without its terminator, or nil at the end of the file.
    public func nextLine() throws -> Data? {
        while true {
            if let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending[lineStart..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                lineStart = newline + 1
                return Data(line)
            }
            // Drop consumed lines only now, once per buffer refill rather than once per line.
            pending.removeSubrange(pending.startIndex..<lineStart)
            lineStart = pending.startIndex
            if finished {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return pending
            }
            try fill()
        }
    }

    /// Start of the first unread line in `pending`.
    private var lineStart = 0

    /// Set when the gzip stream reached its end marker; a file that stops before it is truncated.
    private var streamEnded = false

    private func fill() throws {
        if rawInput.isEmpty {
            let chunk = handle.readData(ofLength: 1 << 20)
            bytesRead += chunk.count
            if chunk.isEmpty {
                if isGzip && !streamEnded { throw ReadError.corruptGzip(path) }
                finished = true
                return
            }
            guard isGzip else {
                pending.append(chunk)
                return
            }
            rawInput = chunk
        }
        try inflateInput()
    }

    /// Inflates what `rawInput` holds into `pending`, keeping any bytes zlib did not consume.
    private func inflateInput() throws {
        var output = [UInt8](repeating: 0, count: 1 << 18)
        let total = rawInput.count
        var remaining = 0
        try rawInput.withUnsafeMutableBytes { (input: UnsafeMutableRawBufferPointer) in
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(total)
            while stream.avail_in > 0 {
                if streamEnded {
                    // Concatenated gzip members are legal: start on the next one.
                    inflateReset(&stream)
                    streamEnded = false
                }
                let status = output.withUnsafeMutableBytes { out -> Int32 in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = output.count - Int(stream.avail_out)
                if produced > 0 { pending.append(contentsOf: output[0..<produced]) }
                switch status {
                case Z_STREAM_END: streamEnded = true
                case Z_OK: continue
                case Z_BUF_ERROR: break  // needs more input than this chunk has
                default: throw ReadError.corruptGzip(path)
                }
                if status == Z_BUF_ERROR { break }
            }
            remaining = Int(stream.avail_in)
        }
        rawInput.removeFirst(total - remaining)
        if remaining > 0 && !streamEnded {
            // zlib stopped without consuming input: keep it and read more next time.
            let more = handle.readData(ofLength: 1 << 20)
            bytesRead += more.count
            if more.isEmpty { throw ReadError.corruptGzip(path) }
            rawInput.append(more)
        }
    }
}
