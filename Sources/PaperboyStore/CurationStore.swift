import Foundation
import PaperboyCore

/// The editors' side of the feed: the admin role, hiding and featuring, and the log of every
/// admin action. Each write adds its row to the log in the same transaction as the change, and
/// only when something changed; the store dates the row with its clock.
///
/// Hidden things stay in the database. A hidden entry (one paper on one day) leaves that day's
/// feed; a hidden paper leaves every feed read of `PaperStore` (feeds, latest day, neighbours,
/// trending, the API lists, `papers(ids:)` and so search, related papers and digests), while
/// `paper(id:)` still finds it.
public protocol CurationStore: Sendable {
    // MARK: Roles

    /// Grants or revokes the admin role of the reader with this email (any case); nil when no
    /// reader has it.
    func setAdmin(email: String, _ isAdmin: Bool, by actor: AdminActor) async throws -> RoleChange?

    func isAdmin(readerID: Int64) async throws -> Bool

    /// Every admin, by name.
    func admins() async throws -> [Reader]

    // MARK: Hiding and featuring

    /// Hides a paper from every feed, or shows it again; nil when there is no such paper,
    /// false when it already was so.
    func setPaperHidden(_ paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool?

    /// Hides a paper's entry on one day, or shows it again; nil when there is no such entry,
    /// false when it already was so.
    func setEntryHidden(day: FeedDay, paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool?

    /// Puts `entry` on its day's feed, storing its paper when it is new here. A hidden entry
    /// of that paper and day is shown again instead (its submitter unchanged).
    func feature(_ entry: DailyEntry, by actor: AdminActor) async throws -> FeatureOutcome

    /// Whether a paper is hidden and the days its entries are hidden on; nil for an unknown paper.
    func curation(of paperID: String) async throws -> PaperCuration?

    // MARK: What editors look at

    /// The latest feed entries, hidden ones included: latest day first, then latest submitted.
    func recentEntries(limit: Int) async throws -> [CuratedEntry]

    /// Hidden papers, most recently hidden first.
    func hiddenPapers(limit: Int) async throws -> [Paper]

    /// The latest sign-ups, newest first.
    func recentReaders(limit: Int) async throws -> [ReaderSignUp]

    /// The admin log, newest first.
    func adminActions(limit: Int) async throws -> [AdminAction]
}

/// Who takes an admin action: a reader with the role, or the command line.
public struct AdminActor: Sendable, Equatable {
    /// Nil for the command line.
    public var readerID: Int64?
    public var name: String

    public init(readerID: Int64?, name: String) {
        self.readerID = readerID
        self.name = name
    }

    public init(_ reader: Reader) {
        self.init(readerID: reader.id, name: reader.name)
    }

    /// `paperboy admin …`: whoever can run the binary on the database.
    public static let commandLine = AdminActor(readerID: nil, name: "cli")
}

public struct RoleChange: Sendable, Equatable {
    public var reader: Reader
    /// False when the reader already had (or already lacked) the role.
    public var changed: Bool

    public init(reader: Reader, changed: Bool) {
        self.reader = reader
        self.changed = changed
    }
}

public enum FeatureOutcome: Sendable, Equatable {
    /// A new entry on the day.
    case featured
    /// The day had a hidden entry of the paper; it is shown again.
    case shownAgain
    /// The paper is on that day's feed already: nothing changed.
    case alreadyOnFeed
    /// The paper is hidden from every feed: nothing changed.
    case paperHidden
}

public struct PaperCuration: Sendable, Equatable {
    public var hidden: Bool
    /// Days whose entry of the paper is hidden, oldest first.
    public var hiddenDays: [FeedDay]

    public init(hidden: Bool, hiddenDays: [FeedDay]) {
        self.hidden = hidden
        self.hiddenDays = hiddenDays
    }
}

/// A feed entry as editors see it.
public struct CuratedEntry: Sendable, Equatable {
    public var entry: DailyEntry
    public var entryHidden: Bool
    public var paperHidden: Bool

    public init(entry: DailyEntry, entryHidden: Bool, paperHidden: Bool) {
        self.entry = entry
        self.entryHidden = entryHidden
        self.paperHidden = paperHidden
    }
}

public struct ReaderSignUp: Sendable, Equatable {
    public var reader: Reader
    /// ISO 8601, UTC.
    public var createdAt: String
    public var isAdmin: Bool

    public init(reader: Reader, createdAt: String, isAdmin: Bool) {
        self.reader = reader
        self.createdAt = createdAt
        self.isAdmin = isAdmin
    }
}

/// One row of the admin log.
public struct AdminAction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case grantAdmin = "grant-admin"
        case revokeAdmin = "revoke-admin"
        case feature
        case hidePaper = "hide-paper"
        case unhidePaper = "unhide-paper"
        case hideEntry = "hide-entry"
        case unhideEntry = "unhide-entry"
        case hideComment = "hide-comment"
        case unhideComment = "unhide-comment"
        case dismissReports = "dismiss-reports"
    }

    public var id: Int64
    public var actor: AdminActor
    public var kind: Kind
    /// What it was done to: a paper id, a reader's email, or a comment's id.
    public var target: String
    /// More about it: the feed day of an entry, the reader's name, a comment's paper.
    public var detail: String?
    /// ISO 8601, UTC.
    public var at: String

    public init(id: Int64, actor: AdminActor, kind: Kind, target: String, detail: String?, at: String) {
        self.id = id
        self.actor = actor
        self.kind = kind
        self.target = target
        self.detail = detail
        self.at = at
    }
}
