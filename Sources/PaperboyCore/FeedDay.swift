/// A calendar day in UTC, the unit of the Daily Papers feed ("2024-05-27").
///
/// Stored as days since 1970-01-01 so that arithmetic (previous day, ISO weeks, months)
/// is exact and needs no `Calendar`.
public struct FeedDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// Returns nil when the components do not name a real Gregorian date (2025-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...FeedDay.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.daysSinceEpoch = FeedDay.daysFromCivil(year: year, month: month, day: day)
    }

    /// Parses exactly `YYYY-MM-DD`; anything else (wrong lengths, signs, impossible dates) is nil.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = FeedDay.number(bytes[0..<4]), let month = FeedDay.number(bytes[5..<7]),
            let day = FeedDay.number(bytes[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var components: (year: Int, month: Int, day: Int) {
        FeedDay.civilFromDays(daysSinceEpoch)
    }

    public var description: String {
        let (y, m, d) = components
        return "\(FeedDay.pad(y, 4))-\(FeedDay.pad(m, 2))-\(FeedDay.pad(d, 2))"
    }

    /// Monday = 1 ... Sunday = 7 (ISO 8601). 1970-01-01 was a Thursday.
    public var isoWeekday: Int {
        ((daysSinceEpoch % 7 + 7 + 3) % 7) + 1
    }

    public func adding(days: Int) -> FeedDay {
        FeedDay(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Seconds since 1970 at 00:00 UTC of this day.
    public var startTimestamp: Double { Double(daysSinceEpoch) * 86_400 }

    /// The UTC day containing a Unix timestamp.
    public init(timestamp: Double) {
        self.daysSinceEpoch = Int((timestamp / 86_400).rounded(.down))
    }

    public static func < (lhs: FeedDay, rhs: FeedDay) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    // MARK: - Calendar arithmetic (H. Hinnant's civil-date algorithms)

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
