import PaperboyCore
import Testing

@Suite struct FeedDayTests {
    @Test func parsesAndPrintsCalendarDays() throws {
        let day = try #require(FeedDay("2024-05-27"))
        #expect(day.description == "2024-05-27")
        #expect(day.components == (2024, 5, 27))
        #expect(FeedDay("1970-01-01")?.daysSinceEpoch == 0)
        #expect(FeedDay("2024-02-29") != nil, "2024 is a leap year")
    }

    @Test(arguments: [
        "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-5-27", "24-05-27", "2024/05/27", "", "２０２４-05-27", "2024-05-2x", "-024-05-27",
    ])
    func rejectsMalformedOrImpossibleDates(_ text: String) {
        #expect(FeedDay(text) == nil)
    }

    @Test func knowsWeekdays() {
        #expect(FeedDay("2024-05-27")?.isoWeekday == 1, "a Monday")
        #expect(FeedDay("2024-06-02")?.isoWeekday == 7, "a Sunday")
        #expect(FeedDay("1970-01-01")?.isoWeekday == 4, "a Thursday")
        #expect(FeedDay("1969-12-31")?.isoWeekday == 3, "before the epoch too")
    }

    @Test func isoWeeksFollowTheThursdayRule() throws {
        let week = try #require(FeedPeriod.parseWeek("2024-W22"))
        #expect(week.days.lowerBound.description == "2024-05-27")
        #expect(week.days.upperBound.description == "2024-06-02")
        // 2024-12-30 is a Monday whose Thursday falls in 2025.
        #expect(FeedPeriod.week(containing: FeedDay("2024-12-30")!).identifier == "2025-W01")
        #expect(FeedPeriod.week(containing: FeedDay("2021-01-03")!).identifier == "2020-W53")
        #expect(FeedPeriod.parseWeek("2020-W53") != nil)
        #expect(FeedPeriod.parseWeek("2021-W53") == nil, "2021 has 52 ISO weeks")
        #expect(FeedPeriod.parseWeek("2024-W00") == nil)
        #expect(FeedPeriod.parseWeek("2024-22") == nil)
    }

    @Test func monthsCoverTheirDays() throws {
        let february = try #require(FeedPeriod.parseMonth("2024-02"))
        #expect(february.days.lowerBound.description == "2024-02-01")
        #expect(february.days.upperBound.description == "2024-02-29")
        #expect(FeedPeriod.parseMonth("2024-13") == nil)
        #expect(FeedPeriod.parseMonth("2024-1") == nil)
        #expect(february.path == "/papers/month/2024-02")
    }

    @Test func sameKindFindsTheNeighbouringPeriod() throws {
        let week = try #require(FeedPeriod.parseWeek("2024-W22"))
        #expect(week.sameKind(containing: FeedDay("2024-05-24")!).identifier == "2024-W21")
        #expect(FeedPeriod.month(containing: FeedDay("2024-05-24")!).sameKind(containing: FeedDay("2024-06-03")!).identifier == "2024-06")
    }
}
