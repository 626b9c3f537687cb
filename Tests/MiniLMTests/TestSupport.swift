import Foundation
import MiniLM
import Testing

/// Where the test inputs live: fixtures beside this file, the model under the repo root.
enum TestSupport {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixturesDirectory = testsDirectory.appendingPathComponent("Fixtures")
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// `PAPERBOY_MODEL_DIR`, or `<repo root>/.models/all-MiniLM-L6-v2`.
    static var modelDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent(".models/all-MiniLM-L6-v2")
    }

    /// The model files, or a test failure that says how to get them: missing weights must
    /// never turn into silently skipped tests.
    static func requireModelFile(_ name: String) throws -> URL {
        let url = modelDirectory.appendingPathComponent(name)
        try #require(
            FileManager.default.fileExists(atPath: url.path),
            "Missing \(url.path). Run scripts/fetch-model.sh first (or set PAPERBOY_MODEL_DIR)."
        )
        return url
    }

    static func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }
}

struct TokenizerCase: Decodable, Sendable, CustomTestStringConvertible {
    let text: String
    let ids: [Int32]
    var testDescription: String { String(reflecting: String(text.prefix(40))) }
}

struct EmbeddingCase: Decodable, Sendable, CustomTestStringConvertible {
    let text: String
    let embedding: [Float]
    var testDescription: String { String(reflecting: String(text.prefix(40))) }
}
