import Foundation

/// A read-only view of a `.safetensors` file: an 8-byte little-endian header length, a JSON
/// header mapping tensor names to dtype, shape and byte range, then the raw tensor bytes.
/// Only the F32 tensors the encoder needs are ever read.
struct SafeTensors {
    private struct Entry: Decodable {
        // `__metadata__` shares the header but has none of these fields, hence the optionals.
        let dtype: String?
        let shape: [Int]?
        let dataOffsets: [Int]?

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    let url: URL
    private let data: Data
    private let entries: [String: Entry]
    private let dataStart: Int

    init(url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw MiniLMError.missingFile(url) }
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw MiniLMError.corruptFile(url, reason: "unreadable: \(error)")
        }
        self.url = url
        guard data.count >= 8 else {
            throw MiniLMError.corruptFile(url, reason: "shorter than its 8-byte header length")
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw MiniLMError.corruptFile(
                url,
                reason: "header length \(headerLength) exceeds the file size \(data.count)"
            )
        }
        dataStart = 8 + Int(headerLength)
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: data.subdata(in: 8..<dataStart))
        } catch {
            throw MiniLMError.corruptFile(url, reason: "invalid JSON header: \(error)")
        }
    }

    /// The values of F32 tensor `name`, checked to have exactly `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = entries[name] else { throw MiniLMError.missingTensor(name: name, file: url) }
        guard entry.dtype == "F32" else {
            throw MiniLMError.unexpectedTensor(
                name: name,
                file: url,
                reason: "dtype \(entry.dtype ?? "none"), expected F32"
            )
        }
        guard entry.shape == shape else {
            throw MiniLMError.unexpectedTensor(
                name: name,
                file: url,
                reason: "shape \(entry.shape ?? []), expected \(shape)"
            )
        }
        let count = shape.reduce(1, *)
        guard let offsets = entry.dataOffsets, offsets.count == 2, offsets[0] >= 0,
            offsets[1] - offsets[0] == count * MemoryLayout<Float>.size,
            dataStart + offsets[1] <= data.count
        else {
            throw MiniLMError.corruptFile(
                url,
                reason: "tensor '\(name)' has a byte range outside the file or of the wrong size"
            )
        }
        let start = dataStart + offsets[0]
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                // Tensor data need not be 4-byte aligned in the file: copy bytes, then read as
                // little-endian floats (every supported platform is little-endian).
                _ = memcpy(buffer.baseAddress!, raw.baseAddress! + start, count * MemoryLayout<Float>.size)
            }
            initialized = count
        }
    }
}
