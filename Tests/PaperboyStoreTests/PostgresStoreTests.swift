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
        let url = try await cluster.makeDatabase()
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
        let url = try await cluster.makeDatabase()
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

    @Test func nodesClaimDifferentPapersToEmbedAndTakeOverTheClaimsOfOneThatDied() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        var nodes: [any EmbeddingClaims & PaperStore & StoreConnection] = []
        for _ in 0..<3 { nodes.append(try #require(try await StoreFactory.open(url) as? any EmbeddingClaims & PaperStore & StoreConnection)) }
        let ids = (0..<90).map { String(format: "2405.%05d", $0) }
        _ = try await nodes[0].importArxivPapers(ids.map { Paper(id: $0, title: "Paper \($0)", source: .arxiv) })
        try await nodes[0].saveEmbeddings(
            [PaperEmbedding(paperID: ids[0], vector: [1, 0], passages: [[1, 0]])],
            model: "m"
        )
        let now = Date(timeIntervalSince1970: 1_000)
        let later = Date(timeIntervalSince1970: 1_300)
        // Three nodes claim 40 each at the same moment: 89 papers lack an embedding.
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    try await node.claimPapersWithoutEmbedding(model: "m", limit: 40, holder: "node\(index)", until: later, now: now).map(\.id)
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 89)
        #expect(Set(all) == Set(ids.dropFirst()), "each paper claimed once; the embedded one by nobody")
        // Nothing is left to claim until the claims expire; then another node takes them over.
        #expect(try await nodes[0].claimPapersWithoutEmbedding(model: "m", limit: 40, holder: "node3", until: later, now: now).isEmpty)
        let afterExpiry = try await nodes[1].claimPapersWithoutEmbedding(
            model: "m",
            limit: 100,
            holder: "node4",
            until: Date(timeIntervalSince1970: 2_000),
            now: Date(timeIntervalSince1970: 1_301)
        )
        #expect(afterExpiry.count == 89)
        for node in nodes { await node.close() }
    }

    @Test func embeddingsSavedByOneNodeReachTheOthersWithoutCountingAsAChange() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let embedding = try await StoreFactory.open(url)
        let reading = try #require(try await StoreFactory.open(url) as? any EmbeddingFeed & PaperStore & StoreConnection)
        _ = try await embedding.importArxivPapers([Paper(id: "2405.00001", title: "One", source: .arxiv)])
        let start = try await reading.embeddingPosition()
        let counter = try await reading.changeCounter()
        try await embedding.saveEmbeddings([PaperEmbedding(paperID: "2405.00001", vector: [0.5, -1], passages: [[1, 0]])], model: "m")
        #expect(try await reading.changeCounter() == counter, "caches stay warm while papers are embedded")
        var page = try await reading.embeddings(model: "m", after: start, limit: 10)
        for _ in 0..<3000 where page.embeddings.isEmpty {  // other tests' transactions may hold the horizon back
            try await Task.sleep(for: .milliseconds(10))
            page = try await reading.embeddings(model: "m", after: start, limit: 10)
        }
        #expect(page.embeddings == [PaperEmbedding(paperID: "2405.00001", vector: [0.5, -1], passages: [[1, 0]])])
        #expect(try await reading.embeddings(model: "m", after: page.position, limit: 10).embeddings.isEmpty)
        #expect(try await reading.embeddings(model: "other", after: start, limit: 10).embeddings.isEmpty)
        await embedding.close()
        await reading.close()
    }

    @Test func aSearchIndexNeverSkipsAWriteThatCommitsLate() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        let database = String(try #require(URLComponents(string: url)).path.dropFirst())
        let writer = try await StoreFactory.open(url)
        let index = try await StoreFactory.open(url)
        defer {
            Task {
                await writer.close()
                await index.close()
                cluster.dropDatabase(url: url)
            }
        }
        _ = try await writer.importArxivPapers([Paper(id: "2405.00001", title: "Early", source: .arxiv)])
        let built = try await settledPapers(index, after: RevisionPosition(revision: 0), limit: 10, atLeast: 1)
        let position = try #require(built.last?.position)

        // Another node's slow write takes its revision (its transaction id), then waits to be let go.
        try cluster.psql("CREATE TABLE test_release (go INT)", database: database)
        // Let go whatever happens, or the slow write would hold the test forever.
        defer { try? cluster.psql("INSERT INTO test_release VALUES (1)", database: database) }
        async let slowWrite: Void = onThread {
            try cluster.psql(
                """
                BEGIN;
                INSERT INTO changes DEFAULT VALUES;
                INSERT INTO papers (id, title, source, revision) VALUES ('2405.00002', 'Slow', 'arxiv', paperboy_xid());
                DO $$ BEGIN
                    WHILE NOT EXISTS (SELECT 1 FROM test_release) LOOP PERFORM pg_sleep(0.01); END LOOP;
                END $$;
                COMMIT;
                """,
                database: "dbname=\(database) application_name=slow-writer"
            )
        }
        try await onThread {
            try cluster.psql(
                """
                DO $$ BEGIN
                    WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity
                        WHERE application_name = 'slow-writer' AND backend_xid IS NOT NULL) LOOP
                        PERFORM pg_sleep(0.01);
                        PERFORM pg_stat_clear_snapshot();
                    END LOOP;
                END $$
                """,
                database: database
            )
        }

        // A quick write after it commits first, with a higher revision.
        _ = try await writer.importArxivPapers([Paper(id: "2405.00003", title: "Quick", source: .arxiv)])
        #expect(try await index.paper(id: "2405.00003") != nil, "committed and readable")
        #expect(
            try await index.papers(after: position, limit: 10).isEmpty,
            "not handed to the index while a lower revision may still commit"
        )

        try cluster.psql("INSERT INTO test_release VALUES (1)", database: database)
        try await slowWrite
        let resumed = try await settledPapers(index, after: position, limit: 10, atLeast: 2)
        #expect(resumed.map(\.paper.id) == ["2405.00002", "2405.00003"], "the late commit comes first: its revision is the lower")
        #expect(resumed.map(\.revision) == resumed.map(\.revision).sorted())
        #expect(try #require(resumed.first?.revision) > position.revision)
    }

    @Test func twoNodesImportingTheSamePapersAtOnceStoreEachOnce() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        let nodes = [try await StoreFactory.open(url), try await StoreFactory.open(url)]
        defer {
            Task {
                for node in nodes { await node.close() }
                cluster.dropDatabase(url: url)
            }
        }
        let papers = (0..<600).map { Paper(id: String(format: "2405.%05d", $0), title: "P\($0)", categories: ["cs.CL"], source: .arxiv) }
        let day = FeedDay("2024-05-27")!
        let entries = papers.prefix(200).map { entry($0.id, day: "2024-05-27", upvotes: 1) }
        // Each node in its own order, in batches big enough to overlap: inserts of one wait for
        // the other's, and out of id order they could deadlock.
        let counts = try await withThrowingTaskGroup(of: ImportCounts.self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    var counts = ImportCounts()
                    var generator = SplitMix64(seed: UInt64(index))
                    for batch in papers.shuffled(using: &generator).chunked(into: 300) {
                        counts += try await node.importArxivPapers(Array(batch))
                    }
                    counts += try await node.importFeedDay(day, entries: entries.shuffled(using: &generator))
                    return counts
                }
            }
            return try await group.reduce(into: ImportCounts()) { $0 += $1 }
        }
        #expect(counts.papers == 2 * (600 + 200))
        #expect(counts.new == 600 + 200, "each paper and each entry is new once, on one node")
        #expect(try await nodes[0].statistics() == StoreStatistics(papers: 600, feedDays: 1, entries: 200))
        #expect(try await nodes[1].feedEntries(FeedQuery(days: day...day, limit: 1000)).count == 200)
    }
}

/// Runs blocking work (`psql`) on a thread of its own, not on one the tests' tasks share.
private func onThread(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

extension Array {
    fileprivate func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
