import Foundation
import PaperboyCore

/// Dates in the RFC 822 / RFC 7231 form upstreams write: `Sat, 13 Feb 2021 07:22:28 GMT`
/// (arXivRaw version dates, HTTP `Retry-After`). Parsed by hand: this runs for every version
/// of every harvested record, and `DateFormatter` is slow and locale-sensitive.
struct HTTPDate: Equatable, Sendable {
    var year: Int, month: Int, day: Int
    var hour: Int, minute: Int, second: Int

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Accepts an optional weekday, a one- or two-digit day, and `GMT`, `UT`, `UTC`, `Z` or
    /// `+0000` (other zones are refused rather than misread).
    init?(_ text: String) {
        var parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        if let first = parts.first, first.hasSuffix(",") || Int(first) == nil { parts.removeFirst() }
        guard parts.count == 5, let day = Int(parts[0]), (1...31).contains(day),
            let monthIndex = Self.months.firstIndex(of: parts[1]), let year = Int(parts[2]), year >= 1000,
            ["GMT", "UT", "UTC", "Z", "+0000"].contains(parts[4])
        else { return nil }
        let clock = parts[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2]) else { return nil }
        self.init(year: year, month: monthIndex + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    }

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// `YYYY-MM-DD`.
    var day10: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    /// `YYYY-MM-DDTHH:MM:SS.000Z`, the timestamp form the store keeps.
    var isoTimestamp: String { "\(day10)T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).000Z" }

    /// Seconds since 1970-01-01 UTC; nil for a day the calendar lacks (31 Feb).
    var timestamp: Double? {
        FeedDay(year: year, month: month, day: day).map { $0.startTimestamp + Double(hour * 3600 + minute * 60 + second) }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// `Retry-After`: delay-seconds or an HTTP date, relative to `now` (seconds since 1970).
/// Nil when absent or unreadable; a date in the past means "now".
func retryAfterDelay(_ header: String?, now: Double) -> Duration? {
    guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
    if let seconds = Int(text) { return .seconds(max(0, seconds)) }
    guard let date = HTTPDate(text)?.timestamp else { return nil }
    return .milliseconds(Int64(max(0, (date - now) * 1000).rounded()))
}
