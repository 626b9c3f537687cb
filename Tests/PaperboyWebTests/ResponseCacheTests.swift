import Foundation
import NIOCore
import PaperboyStore
import Testing

@testable import PaperboyWeb

@Suite struct ResponseCacheTests {
    @Test func manyDistinctResponsesStayWithinTheByteBudget() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLitePaperStore(path: directory.appendingPathComponent("db.sqlite").path)
        let cache = ResponseCache(store: store, recheckInterval: 3600, maximumBytes: 100_000)

        var renders = 0
        func fetch(_ key: String) async throws -> String {
            let entry = try await cache.body(for: key, contentType: "text/plain") {
                renders += 1
                return ByteBuffer(string: key + String(repeating: "x", count: 10_000))
            }
            return String(buffer: entry.body)
        }
        #expect(try await fetch("q=1").hasPrefix("q=1x"))
        #expect(try await fetch("q=1").hasPrefix("q=1x"))
        #expect(renders == 1)  // the second request was served from the cache

        for query in 2...50 { _ = try await fetch("q=\(query)") }
        #expect(renders == 50)
        #expect(cache.heldBytes <= 100_000)
        #expect(cache.count <= 10)
        // The newest response is kept; the oldest went when the budget was reached.
        _ = try await fetch("q=50")
        #expect(renders == 50)
        _ = try await fetch("q=1")
        #expect(renders == 51)
    }
}
