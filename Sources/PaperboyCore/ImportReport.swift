/// What an import did, record by record, so nothing is lost silently.
public struct ImportCounts: Equatable, Sendable {
    /// Feed days (files) read.
    public var days = 0
    /// Records accepted (valid papers).
    public var papers = 0
    /// Records that added something new (a paper, or a paper on a new day).
    public var new = 0
    /// Records that changed stored values (upvotes, comments, metadata).
    public var updated = 0
    public var rejected = 0

    public init(days: Int = 0, papers: Int = 0, new: Int = 0, updated: Int = 0, rejected: Int = 0) {
        self.days = days
        self.papers = papers
        self.new = new
        self.updated = updated
        self.rejected = rejected
    }

    /// One feed day's counts from what happened to each entry's paper and to the entry: new
    /// when either was inserted, updated when either changed.
    public init(feedDay outcomes: [(paper: UpsertOutcome, entry: UpsertOutcome)]) {
        self.init(days: 1)
        for (paper, entry) in outcomes {
            papers += 1
            if paper == .inserted || entry == .inserted {
                new += 1
            } else if paper == .updated || entry == .updated {
                updated += 1
            }
        }
    }

    public static func += (lhs: inout ImportCounts, rhs: ImportCounts) {
        lhs.days += rhs.days
        lhs.papers += rhs.papers
        lhs.new += rhs.new
        lhs.updated += rhs.updated
        lhs.rejected += rhs.rejected
    }

    public var summaryLine: String {
        "days=\(days) papers=\(papers) new=\(new) updated=\(updated) "
            + "unchanged=\(papers - new - updated) rejected=\(rejected)"
    }
}

/// A record an importer refused, with where it was and why.
public struct Rejection: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// Item index in a JSON array, or line number (1-based) in a JSON-lines file.
    public var index: Int
    public var reason: String

    public init(file: String, index: Int, reason: String) {
        self.file = file
        self.index = index
        self.reason = reason
    }

    public var description: String { "rejected \(file)[\(index)]: \(reason)" }
}

/// How a stored record compared with what was imported.
public enum UpsertOutcome: Sendable {
    case inserted, updated, unchanged
}
