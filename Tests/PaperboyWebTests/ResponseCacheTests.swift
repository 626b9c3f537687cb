import Foundation
import NIOCore
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Synchronization
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

@Suite struct ResponseCacheTests {
    @Test func anotherProcesssWriteShowsOnceTheRecheckIntervalHasPassedOnTheClock() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        let store = try await StoreFactory.open(.sqlite(path: path))
        let clock = TestClock(now: 1_000)
        let cache = ResponseCache(store: store, clock: clock, recheckInterval: 1)
        let renders = Mutex(0)
        func fetch() async throws {
            _ = try await cache.body(for: "/", contentType: "text/plain") {
                renders.withLock { $0 += 1 }
                return ByteBuffer(string: "page")
            }
        }
        try await fetch()
        #expect(renders.withLock { $0 } == 1)

        // Another process imports: the change counter moves and nobody calls `invalidate()`.
        let day = FeedDay("2024-05-28")!
        let paper = Paper(
            id: "2405.99997",
            title: "Elsewhere",
            summary: "Imported by another process.",
            authors: ["A"],
            upvotes: 1,
            source: .huggingFace
        )
        _ = try await StoreFactory.open(.sqlite(path: path)).importFeedDay(day, entries: [DailyEntry(day: day, paper: paper, upvotes: 1)])
        clock.advance(by: .milliseconds(500))
        try await fetch()
        #expect(renders.withLock { $0 } == 1, "half a second later the cached page is still served")
        clock.advance(by: .milliseconds(500))
        try await fetch()
        #expect(renders.withLock { $0 } == 2, "a second later the counter is read again and the page rendered anew")
    }

    @Test func manyDistinctResponsesStayWithinTheByteBudget() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
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

    /// 4,000 distinct 30 KB URLs once grew the server by 119 MB: keys were not counted.
    @Test func keysCountAgainstTheBudgetAndLongURLsAreNotCached() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
        let cache = ResponseCache(store: store, recheckInterval: 3600, maximumBytes: 200_000)
        let padding = String(repeating: "q", count: 30_000)
        for index in 0..<4_000 {
            _ = try await cache.body(for: "/api/papers/search?q=\(index)\(padding)", contentType: "text/plain") { ByteBuffer(string: "[]") }
        }
        #expect(cache.count == 0, "URLs over \(ResponseCache.longestKey) bytes are rendered, never kept")
        #expect(cache.heldBytes == 0)
        let key = "/api/papers?cursor=" + String(repeating: "k", count: 400)
        for index in 0..<4_000 {
            _ = try await cache.body(for: "\(key)\(index)", contentType: "text/plain") { ByteBuffer(string: "[]") }
        }
        // Each entry costs its 2-byte body plus a ~420-byte key: the budget bounds them.
        #expect(cache.heldBytes <= 200_000)
        #expect(cache.count > 100 && cache.count < 500, "\(cache.count) entries")
    }

    /// A cold cache hit by many clients at once renders each page once, not once per client.
    @Test func concurrentMissesOfOneKeyShareOneRendering() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
        let cache = ResponseCache(store: store, recheckInterval: 3600)
        let renders = RenderCount()
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let entry = try await cache.body(for: "/api/daily_papers?limit=100", contentType: "application/json") {
                        renders.count.withLock { $0 += 1 }
                        for await _ in release { break }
                        return ByteBuffer(string: "[\"rendered once\"]")
                    }
                    return String(buffer: entry.body)
                }
            }
            // Let every request reach the cache before the one rendering finishes.
            while cache.waitingForRendering < 49 { try await Task.sleep(for: .milliseconds(1)) }
            releaser.yield()
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(bodies.count == 50)
        #expect(Set(bodies) == ["[\"rendered once\"]"])
        #expect(renders.count.withLock { $0 } == 1)
    }
}

private final class RenderCount: Sendable {
    let count = Mutex(0)
}
