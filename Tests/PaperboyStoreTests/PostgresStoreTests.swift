import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

/// What only the PostgreSQL store does: several nodes migrating at once, revisions that
/// readers can trust across concurrent transactions.
@Suite(.enabled(if: PostgresCluster.available || PostgresCluster.required))
struct PostgresStoreTests {
    @Test func severalNodesStartingAtOnceMigrateOnce() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let stores = try await withThrowingTaskGroup(of: (any AppStore).self) { group in
            for _ in 0..<4 { group.addTask { try await StoreFactory.open(url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for store in stores {
            #expect(store.backendName == "postgres")
            #expect(try await store.changeCounter() == 0)
        }
        for store in stores { await store.close() }
    }

    @Test func aRateLimitHoldsAcrossNodes() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        var nodes: [any AppStore] = []
        for _ in 0..<3 { nodes.append(try await StoreFactory.open(url)) }
        let limits = nodes.compactMap { $0 as? any SharedRateLimits }
        #expect(limits.count == 3)
        // 30 log-in attempts from one address, 10 through each node at once: 10 a minute.
        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            for attempt in 0..<30 {
                group.addTask {
                    try await limits[attempt % 3].takeToken(policy: "login", key: "ip:203.0.113.7", quota: 10, window: 60, now: 1_000)
                        .taken
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(taken == 10)
        // Another address has its own bucket; six seconds later one token is back.
        #expect(try await limits[0].takeToken(policy: "login", key: "ip:203.0.113.8", quota: 10, window: 60, now: 1_000).taken)
        #expect(try await !limits[1].takeToken(policy: "login", key: "ip:203.0.113.7", quota: 10, window: 60, now: 1_005).taken)
        let refilled = try await limits[2].takeToken(policy: "login", key: "ip:203.0.113.7", quota: 10, window: 60, now: 1_006.5)
        #expect(refilled.taken)
        #expect(abs(refilled.remaining - 1.0 / 12) < 0.001, "5 s gave 5/6 of a token, 1.5 s more 1/4: one taken, 1/12 left")
        for node in nodes { await node.close() }
    }
}
