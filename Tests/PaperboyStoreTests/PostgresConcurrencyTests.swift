import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

/// Several nodes writing to one PostgreSQL database at once: each store below is a node with
/// its own pool, and every round sends them the same request at the same time.
@Suite(.enabled(if: PostgresCluster.available || PostgresCluster.required))
struct PostgresConcurrencyTests {
    static let nodeCount = 3
    static let rounds = 10
    let now = Date(timeIntervalSince1970: 1_716_883_200)

    @Test func theSameUpvoteFromEveryNodeCountsOnce() async throws {
        let nodes = try await Nodes(papers: (0..<Self.rounds).map(Self.paperID))
        defer { nodes.cleanUp() }
        let reader = try await nodes[0].createUser(email: "ada@example.org", name: "ada", passwordHash: "h")
        for round in 0..<Self.rounds {
            let added = try await nodes.all { try await $0.upvote(paperID: Self.paperID(round), by: reader.id) }
            #expect(added.count { $0 } == 1, "round \(round)")
        }
        #expect(try await nodes[0].localUpvoteCount() == Self.rounds)
        #expect(try await nodes.strings("SELECT local_upvotes FROM papers") == Array(repeating: "1", count: Self.rounds))

        for round in 0..<Self.rounds {
            let removed = try await nodes.all { try await $0.removeUpvote(paperID: Self.paperID(round), by: reader.id) }
            #expect(removed.count { $0 } == 1, "round \(round)")
        }
        #expect(try await nodes[0].localUpvoteCount() == 0)
        #expect(try await nodes.strings("SELECT local_upvotes FROM papers") == Array(repeating: "0", count: Self.rounds))
    }

    @Test func votesOfManyReadersOnOnePaperAreAllCounted() async throws {
        let nodes = try await Nodes(papers: [Self.paperID(0)])
        defer { nodes.cleanUp() }
        var readers: [Reader] = []
        for index in 0..<(Self.nodeCount * Self.rounds) {
            readers.append(try await nodes[0].createUser(email: "r\(index)@example.org", name: "r\(index)", passwordHash: "h"))
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, reader) in readers.enumerated() {
                let node = nodes[index % Self.nodeCount]
                group.addTask { try await node.upvote(paperID: Self.paperID(0), by: reader.id) }
            }
            for try await added in group { #expect(added) }
        }
        let paper = try #require(try await nodes[1].upvotedPapers(by: readers[0].id, limit: 1).first)
        #expect(paper.localUpvotes == readers.count, "no vote lost to another node's")
    }

    @Test func aLeaseSoughtByEveryNodeAtOnceHasOneHolder() async throws {
        let nodes = try await Nodes()
        defer { nodes.cleanUp() }
        for round in 0..<Self.rounds {
            let holders = try await nodes.all { node, index in
                try await node.acquireLease(name: "digest-\(round)", holder: "node-\(index)", until: now + 60, now: now, stealFrom: nil)
            }
            #expect(Set(holders).count == 1, "every node sees the same holder in round \(round)")
            #expect(holders[0].hasPrefix("node-"))
        }
        // Expired: taken again by exactly one of the nodes.
        let holders = try await nodes.all { node, index in
            try await node.acquireLease(name: "digest-0", holder: "late-\(index)", until: now + 200, now: now + 61, stealFrom: nil)
        }
        #expect(Set(holders).count == 1)
        #expect(holders[0].hasPrefix("late-"))
    }

    @Test func theSameDigestEnqueuedByEveryNodeHasOneDeliveryPerReader() async throws {
        let nodes = try await Nodes()
        defer { nodes.cleanUp() }
        let emails = (0..<50).map { "reader\($0)@example.org" }
        _ = try await nodes[0].importConfirmedSubscribers(emails, now: now)
        for round in 0..<Self.rounds {
            let date = FeedDay("2024-05-28")!.adding(days: round)
            let added = try await nodes.all { try await $0.enqueueDigest(date: date, now: now) }
            #expect(added.reduce(0, +) == emails.count, "round \(round)")
            let deliveries = try await nodes[0].deliveries(date: date)
            #expect(deliveries.map(\.email) == emails)
        }
    }

    @Test func aRefusalReportedByTwoNodesCountsOnceAndAFinishedDeliveryStaysFinished() async throws {
        let nodes = try await Nodes()
        defer { nodes.cleanUp() }
        let date = FeedDay("2024-05-28")!
        _ = try await nodes[0].importConfirmedSubscribers(["a@example.org", "b@example.org"], now: now)
        _ = try await nodes[0].enqueueDigest(date: date, now: now)
        let a = try #require(try await nodes[0].subscriber(email: "a@example.org")).id
        let b = try #require(try await nodes[0].subscriber(email: "b@example.org")).id

        _ = try await nodes.all {
            try await $0.markFailed(subscriberID: a, date: date, error: "550", permanent: true, disableAfter: 5, now: now)
        }
        #expect(try await nodes[0].subscriber(id: a)?.permanentFailures == 1)

        // A node that lost the lease reports a temporary failure of a message another node sent.
        try await nodes[1].markComposed(
            [DigestComposition(subscriberID: b, messageID: "<1@x>", paperIDs: ["2405.1"], pickIDs: [])],
            date: date,
            now: now
        )
        try await nodes[1].markSent(subscriberID: b, date: date, now: now)
        try await nodes[2].markRetry(subscriberID: b, date: date, error: "451", nextAttempt: now + 60, now: now)
        #expect(try await nodes[0].deliveries(date: date).map(\.state) == [.failed, .sent])
        #expect(try await nodes[0].dueDeliveries(date: date, now: now + 60, limit: 10).isEmpty, "nothing is sent twice")
    }

    @Test func theInstanceSecretIsMadeOnceWhenEveryNodeAsksAtOnce() async throws {
        let nodes = try await Nodes(seeded: true)
        defer { nodes.cleanUp() }
        for round in 0..<Self.rounds {
            let secrets = try await nodes.all { try await $0.instanceSecret(named: "key-\(round)") }
            #expect(Set(secrets).count == 1, "round \(round)")
        }
    }

    @Test func anAddressOrNameTakenAtOnceByTwoNodesGoesToOne() async throws {
        let nodes = try await Nodes()
        defer { nodes.cleanUp() }
        for round in 0..<Self.rounds {
            let emailResults = await nodes.allResults { node, index in
                try await node.createUser(email: "same\(round)@example.org", name: "n\(round)-\(index)", passwordHash: "h")
            }
            #expect(emailResults.count { (try? $0.get()) != nil } == 1)
            #expect(emailResults.allSatisfy { result in (try? result.get()) != nil || Self.error(result) == .emailTaken })

            let nameResults = await nodes.allResults { node, index in
                try await node.createUser(email: "e\(round)-\(index)@example.org", name: "Name\(round)", passwordHash: "h")
            }
            #expect(nameResults.count { (try? $0.get()) != nil } == 1)
            #expect(nameResults.allSatisfy { result in (try? result.get()) != nil || Self.error(result) == .nameTaken })
        }
    }

    @Test func anAddressSubscribedByEveryNodeAtOnceIsOneSubscriber() async throws {
        let nodes = try await Nodes()
        defer { nodes.cleanUp() }
        for round in 0..<Self.rounds {
            let subscribers = try await nodes.all { try await $0.subscribe(email: "s\(round)@example.org", userID: nil, now: now) }
            #expect(Set(subscribers.map(\.id)).count == 1, "round \(round)")
        }
        #expect(try await nodes[0].subscriberCounts() == [.pending: Self.rounds])
    }

    static func paperID(_ index: Int) -> String {
        "2405.\(String(format: "%05d", index + 1))"
    }

    static func error(_ result: Result<Reader, any Error>) -> AccountError? {
        guard case .failure(let error) = result else { return nil }
        return error as? AccountError
    }

    /// `nodeCount` stores open on one new database, with `papers` already stored (written
    /// straight to the database: the paper store is not what these tests are about).
    struct Nodes {
        let url: String
        let stores: [any AppStore]

        init(papers: [String] = [], seeded: Bool = false) async throws {
            let server = try PostgresCluster.shared.get()
            url = try await server.makeDatabase()
            var stores: [any AppStore] = []
            for index in 0..<PostgresConcurrencyTests.nodeCount {
                let random: any RandomSource = seeded ? SeededRandomSource(seed: UInt64(index)) : SystemRandomSource()
                stores.append(try await StoreFactory.open(url, random: random))
            }
            self.stores = stores
            for id in papers {
                try server.psql(
                    "INSERT INTO papers (id, title, source) VALUES ('\(id)', 'Paper \(id)', 'hf')",
                    database: StoreBackend.databaseName(url)
                )
            }
        }

        subscript(index: Int) -> any AppStore { stores[index] }

        /// Runs `body` on every node at once; its results in node order.
        func all<T: Sendable>(_ body: @escaping @Sendable (any AppStore) async throws -> T) async throws -> [T] {
            try await all { node, _ in try await body(node) }
        }

        /// Runs `body` on every node at once, given the node's index; its results in node order.
        func all<T: Sendable>(_ body: @escaping @Sendable (any AppStore, Int) async throws -> T) async throws -> [T] {
            try await allResults(body).map { try $0.get() }
        }

        /// Runs `body` on every node at once; what each returned or threw, in node order.
        func allResults<T: Sendable>(
            _ body: @escaping @Sendable (any AppStore, Int) async throws -> T
        ) async -> [Result<T, any Error>] {
            await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
                for (index, node) in stores.enumerated() {
                    group.addTask {
                        do { return (index, .success(try await body(node, index))) } catch { return (index, .failure(error)) }
                    }
                }
                var results: [(Int, Result<T, any Error>)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
        }

        /// The first column of each row of `sql`, read straight from the database.
        func strings(_ sql: String) async throws -> [String] {
            try await StoreBackend.postgres.strings(sql, in: url)
        }

        /// Closed and dropped in the background, as `StoreBackend.makeStore` does.
        func cleanUp() {
            let (url, stores) = (url, stores)
            Task {
                for store in stores { await store.close() }
                try? PostgresCluster.shared.get().dropDatabase(url: url)
            }
        }
    }
}
