import PaperboyCore
import Testing

@Suite struct TrendingTests {
    let formula = TrendingFormula()
    let noon = FixedClock(FeedDay("2024-06-03")!, hour: 12).now

    @Test func scoreIsUpvotesOverAgePlusTwoToThePowerOneAndAHalf() {
        let featured = FeedDay("2024-06-03")!.startTimestamp  // 12 hours before noon
        let score = formula.score(upvotes: 100, featuredAt: featured, now: noon)
        // 100 / (12 + 2)^1.5
        #expect(abs(score - 1.9090088708030082) < 1e-12)
    }

    @Test func youngerPaperWithFewerVotesCanOutrankOlderOne() {
        let today = FeedDay("2024-06-03")!.startTimestamp
        let threeDaysAgo = FeedDay("2024-05-31")!.startTimestamp
        let fresh = formula.score(upvotes: 20, featuredAt: today, now: noon)
        let stale = formula.score(upvotes: 100, featuredAt: threeDaysAgo, now: noon)
        #expect(fresh > stale)
        // Same age: more votes always wins.
        #expect(formula.score(upvotes: 21, featuredAt: today, now: noon) > fresh)
    }

    @Test func futureTimestampsAndNegativeVotesAreClamped() {
        let future = noon + 86_400
        #expect(formula.score(upvotes: 10, featuredAt: future, now: noon) == 10 / Double(2).squareRoot() / 2)
        #expect(formula.score(upvotes: -5, featuredAt: noon, now: noon) == 0)
    }
}
