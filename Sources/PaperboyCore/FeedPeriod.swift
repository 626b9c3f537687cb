/// A span of the feed a reader can browse: one day, one ISO week or one calendar month.
public enum FeedPeriod: Hashable, Sendable {
    case day(FeedDay)
    /// ISO 8601 week-numbering year and week (1...53).
    case week(year: Int, week: Int)
    case month(year: Int, month: Int)

    /// Parses `YYYY-Www` (ISO week). Weeks that do not exist in that year are nil.
    public static func parseWeek(_ text: String) -> FeedPeriod? {
        let bytes = Array(text.utf8)
        guard bytes.count == 8, bytes[4] == UInt8(ascii: "-"), bytes[5] == UInt8(ascii: "W"),
            let year = FeedDay.number(bytes[0..<4]), let week = FeedDay.number(bytes[6..<8]),
            (1...9999).contains(year), week >= 1, week <= FeedPeriod.weeksIn(isoYear: year)
        else { return nil }
        return .week(year: year, week: week)
    }

    /// Parses `YYYY-MM`.
    public static func parseMonth(_ text: String) -> FeedPeriod? {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
            let year = FeedDay.number(bytes[0..<4]), let month = FeedDay.number(bytes[5..<7]),
            (1...9999).contains(year), (1...12).contains(month)
        else { return nil }
        return .month(year: year, month: month)
    }

    /// The ISO week containing a day.
    public static func week(containing day: FeedDay) -> FeedPeriod {
        let thursday = day.adding(days: 4 - day.isoWeekday)
        let year = thursday.components.year
        let firstDay = FeedDay(year: year, month: 1, day: 1)!
        return .week(year: year, week: (thursday.daysSinceEpoch - firstDay.daysSinceEpoch) / 7 + 1)
    }

    public static func month(containing day: FeedDay) -> FeedPeriod {
        let (year, month, _) = day.components
        return .month(year: year, month: month)
    }

    /// First and last day of the period, both included.
    public var days: ClosedRange<FeedDay> {
        switch self {
        case .day(let day):
            return day...day
        case .week(let year, let week):
            let monday = FeedPeriod.mondayOfWeek1(isoYear: year).adding(days: (week - 1) * 7)
            return monday...monday.adding(days: 6)
        case .month(let year, let month):
            let first = FeedDay(year: year, month: month, day: 1)!
            return first...first.adding(days: FeedDay.daysIn(month: month, year: year) - 1)
        }
    }

    /// The same kind of period around another day (used for previous/next links).
    public func sameKind(containing day: FeedDay) -> FeedPeriod {
        switch self {
        case .day: return .day(day)
        case .week: return FeedPeriod.week(containing: day)
        case .month: return FeedPeriod.month(containing: day)
        }
    }

    /// `2024-05-27`, `2024-W22`, `2024-05`: the form used in URLs and API parameters.
    public var identifier: String {
        switch self {
        case .day(let day): return day.description
        case .week(let year, let week): return "\(FeedDay.pad(year, 4))-W\(FeedDay.pad(week, 2))"
        case .month(let year, let month): return "\(FeedDay.pad(year, 4))-\(FeedDay.pad(month, 2))"
        }
    }

    /// The page path of this period.
    public var path: String {
        switch self {
        case .day: return "/papers/date/\(identifier)"
        case .week: return "/papers/week/\(identifier)"
        case .month: return "/papers/month/\(identifier)"
        }
    }

    static func mondayOfWeek1(isoYear: Int) -> FeedDay {
        let january4 = FeedDay(year: isoYear, month: 1, day: 4)!
        return january4.adding(days: 1 - january4.isoWeekday)
    }

    static func weeksIn(isoYear: Int) -> Int {
        // A year has 53 ISO weeks exactly when its December 28 falls in week 53.
        let december28 = FeedDay(year: isoYear, month: 12, day: 28)!
        if case .week(_, let week) = FeedPeriod.week(containing: december28) { return week }
        return 52
    }
}
