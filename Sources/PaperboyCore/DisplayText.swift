/// How dates and author lists read on pages, feeds and emails alike.
public enum DisplayText {
    public static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// "May 27, 2024".
    public static func longDate(_ day: FeedDay) -> String {
        let (year, month, dayOfMonth) = day.components
        return "\(monthNames[month - 1].prefix(3)) \(dayOfMonth), \(year)"
    }

    /// "May 27, 2024, 14:05 UTC" from an ISO 8601 UTC stamp ("2024-05-27T14:05:09Z"); the stamp
    /// itself when it is not one.
    public static func timestamp(_ iso: String) -> String {
        guard iso.count >= 16, let day = FeedDay(String(iso.prefix(10))) else { return iso }
        let time = iso.dropFirst(11).prefix(5)
        return "\(longDate(day)), \(time) UTC"
    }

    /// "1 comment", "3 comments", "0 upvotes": a count and its noun in the right number
    /// (`plural` for nouns that do not take an "s").
    public static func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    /// "May 27 – 31, 2024", "May 27 – Jun 2, 2024", "Dec 30, 2024 – Jan 5, 2025".
    public static func dateRange(_ days: ClosedRange<FeedDay>) -> String {
        let (firstYear, firstMonth, firstDay) = days.lowerBound.components
        let (lastYear, lastMonth, lastDay) = days.upperBound.components
        let first = "\(monthNames[firstMonth - 1].prefix(3)) \(firstDay)"
        if firstYear != lastYear { return "\(first), \(firstYear) – \(longDate(days.upperBound))" }
        if firstMonth != lastMonth { return "\(first) – \(monthNames[lastMonth - 1].prefix(3)) \(lastDay), \(lastYear)" }
        return "\(first) – \(lastDay), \(lastYear)"
    }

    /// The first three authors, then "et al.".
    public static func shortAuthors(_ authors: [String]) -> String {
        let shown = authors.prefix(3).joined(separator: ", ")
        return authors.count > 3 ? shown + " et al." : shown
    }

    /// The first `length` characters of `text`, cut at a word boundary, with an ellipsis.
    public static func snippet(_ text: String, length: Int = 320) -> String {
        guard text.count > length else { return text }
        let cut = text.prefix(length)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + " …"
    }
}
