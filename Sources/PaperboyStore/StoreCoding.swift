import Foundation

/// Value codings both backends store the same way, so `db copy` moves rows unchanged.

/// Captured items are stored as TEXT (readable, and `json_extract` works on them); they arrive
/// as UTF-8 bytes.
public enum RawItemText {
    public static func encode(_ data: Data?) -> String? {
        data.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether two stored items hold the same JSON value. Equal text is the common case (the
    /// same capture again); otherwise both are parsed and compared in one canonical spelling,
    /// so a capture written out again by another serialiser (other key order, escapes) is
    /// not a change.
    public static func sameValue(_ stored: String?, _ new: String?) -> Bool {
        if stored == new { return true }
        guard let stored, let new, let left = canonical(stored), let right = canonical(new) else { return false }
        return left == right
    }

    private static func canonical(_ text: String) -> Data? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        return try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }
}

/// Lists of strings are stored as JSON arrays: readable in the sqlite3 shell, and jsonb-ready.
/// Encoding is hand-written because it runs for every imported paper (three lists each).
public enum JSONList {
    public static func encode(_ values: [String]) -> String {
        guard !values.isEmpty else { return "[]" }
        var out = "["
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            out += "\""
        }
        return out + "]"
    }

    public static func decode(_ text: String?) -> [String] {
        guard let text, text != "[]" else { return [] }
        return (try? decoder.decode([String].self, from: Data(text.utf8))) ?? []
    }

    private static let decoder = JSONDecoder()
}

/// float32 vectors as little-endian BLOBs (4 bytes a value).
public enum VectorBlob {
    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    public static func decode(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// Passage vectors at 8 bits: per vector a float32 scale, then each component as
/// round(value × 127 / largest magnitude) in a signed byte. A quarter of float32's size
/// (about 390 bytes a sentence); the search index keeps 4 bits anyway.
public enum PassageBlob {
    public static func encode(_ vectors: [[Float]]) -> Data {
        var data = Data(capacity: vectors.reduce(0) { $0 + 4 + $1.count })
        for vector in vectors {
            let largest = vector.reduce(Float(0)) { max($0, abs($1)) }
            let scale = largest / 127
            withUnsafeBytes(of: scale.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            for value in vector {
                let code = largest > 0 ? Int8((value / scale).rounded()) : 0
                data.append(UInt8(bitPattern: code))
            }
        }
        return data
    }

    /// Vectors of `dimension` components; a blob of the wrong length yields none.
    public static func decode(_ data: Data, dimension: Int) -> [[Float]] {
        let stride = 4 + dimension
        guard dimension > 0, data.count % stride == 0 else { return [] }
        return data.withUnsafeBytes { raw in
            (0..<data.count / stride).map { passage in
                let base = passage * stride
                let scale = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base, as: UInt32.self)))
                return (0..<dimension).map { Float(raw.load(fromByteOffset: base + 4 + $0, as: Int8.self)) * scale }
            }
        }
    }
}
