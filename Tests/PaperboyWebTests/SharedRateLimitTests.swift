import Foundation
import PaperboyApp
import PaperboyCore
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Testing

/// Rate limits that nodes share through PostgreSQL without a round trip a take: each node
/// decides from its view of the bucket and reports what it took every interval.
@Suite(.enabled(if: PostgresCluster.available || PostgresCluster.required))
struct SharedRateLimitTests {
    @Test func nodesReportingTheirTakesHoldTheLimitTogether() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let clock = TestClock(now: 1_000)
        let policy = RateLimiter.Policy(name: "api", quota: 100, window: 60, sharing: .reported(interval: 0.25))
        var stores: [any AppStore] = []
        var limiters: [RateLimiter] = []
        for _ in 0..<2 {
            let store = try await StoreFactory.open(url)
            stores.append(store)
            limiters.append(RateLimiter(policy: policy, clock: clock, shared: try #require(store as? any SharedRateLimits)))
        }
        let (one, two) = (limiters[0], limiters[1])

        // Node one takes 60 of the 100 and reports them; node two learns of them at its report.
        for _ in 0..<60 { #expect(await one.take("token:a").allowed) }
        await one.report()
        #expect(await two.take("token:a").allowed)
        await two.report()
        var allowed = 0
        for _ in 0..<100 where await two.take("token:a").allowed { allowed += 1 }
        #expect(allowed == 39, "100 less node one's 60 and node two's first take")
        await two.report()
        // Node one's view is one report old: it allows one more (the overshoot of an interval),
        // and its report puts the bucket in debt.
        #expect(await one.take("token:a").allowed)
        await one.report()
        #expect(await !one.take("token:a").allowed)
        #expect(await !two.take("token:a").allowed)
        #expect(await one.take("token:b").allowed, "another key has its own bucket")

        // Both take at once between reports: together they overshoot, and the debt is paid back
        // by refills before the bucket allows again.
        clock.advance(to: 1_060)
        for _ in 0..<80 {
            #expect(await one.take("token:c").allowed)
            #expect(await two.take("token:c").allowed)
        }
        await one.report()
        await two.report()
        let limits = try #require(stores[0] as? any SharedRateLimits)
        let bucket = try await limits.reportTokens(policy: "api", takes: [("token:c", 0)], quota: 100, window: 60, now: 1_060)
        #expect(bucket == ["token:c": -60], "160 taken of 100: 60 in debt")
        clock.advance(to: 1_060 + 35)  // 58.3 tokens back: still 1.7 short
        #expect(await !two.take("token:c").allowed)
        clock.advance(to: 1_060 + 38)  // 63.3 back: 3.3 left
        #expect(await two.take("token:c").allowed)
        for store in stores { await store.close() }
    }

    @Test func aDatabaseThatDoesNotAnswerLeavesEachNodeLimitingOnItsOwn() async throws {
        let cluster = try PostgresCluster.shared.get()
        let url = try await cluster.makeDatabase()
        defer { cluster.dropDatabase(url: url) }
        let clock = TestClock(now: 1_000)
        let store = try await StoreFactory.open(url)
        let limiter = RateLimiter(
            policy: .init(name: "api", quota: 10, window: 60, sharing: .reported(interval: 0.25)),
            clock: clock,
            shared: try #require(store as? any SharedRateLimits)
        )
        for _ in 0..<4 { #expect(await limiter.take("ip:198.51.100.1").allowed) }
        await store.close()  // every report fails from now on
        await limiter.report()
        var allowed = 0
        for _ in 0..<10 where await limiter.take("ip:198.51.100.1").allowed { allowed += 1 }
        #expect(allowed == 6, "the 4 taken before still count here")
        await limiter.report()
        #expect(await !limiter.take("ip:198.51.100.1").allowed)
    }
}
