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
}
