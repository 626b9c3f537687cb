import Foundation
import PaperboyCore
import PaperboyStore

/// What editors do to the feed: grant and revoke the admin role, feature a paper on a day,
/// hide a paper or one day's entry of it (and show it again), and look at recent submissions,
/// sign-ups and the admin log. Every change is written with its log row in one transaction
/// (`CurationStore`); every call made for a reader checks that the reader is an admin.
public struct AdminService: Sendable {
    let store: any CurationStore & PaperStore
    /// Fetches papers an editor features that are not stored yet; nil (the command line): such
    /// papers are refused.
    let submissions: SubmissionService?
    let clock: any WallClock
    /// Called after the feed changed (cached pages must be dropped).
    var onChange: @Sendable () -> Void

    public init(
        store: any CurationStore & PaperStore,
        submissions: SubmissionService? = nil,
        clock: any WallClock,
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.submissions = submissions
        self.clock = clock
        self.onChange = onChange
    }

    /// Why an admin action was refused, in words for the person; `domainError` says what kind
    /// of failure each is.
    public enum Refusal: Error, Equatable {
        /// Not logged in, or not an admin: the area does not exist for them (404).
        case notAnAdmin
        case unknownReader(email: String)
        case notAnID(String)
        case unknownPaper(String)
        case futureDay(FeedDay)
        case alreadyOnFeed(String, day: FeedDay)
        case paperHidden(String)
        case noEntry(String, day: FeedDay)

        public var message: String {
            switch self {
            case .notAnAdmin: return "There is nothing here."
            case .unknownReader(let email): return "No reader has the email \(email.prefix(200)); they must sign up first."
            case .notAnID(let input): return "“\(input.prefix(80))” is not an arXiv id or arXiv URL."
            case .unknownPaper(let id): return "There is no paper \(id) here."
            case .futureDay(let day): return "\(day) is in the future; feature papers on today or an earlier day."
            case .alreadyOnFeed(let id, let day): return "\(id) is already on the feed of \(day)."
            case .paperHidden(let id): return "\(id) is hidden from every feed; show it again first."
            case .noEntry(let id, let day): return "\(id) is not on the feed of \(day)."
            }
        }

        public var domainError: DomainError {
            switch self {
            case .notAnAdmin, .unknownReader, .unknownPaper, .noEntry: return .notFound(message)
            case .notAnID, .futureDay: return .invalid(message)
            case .alreadyOnFeed, .paperHidden: return .conflict(message)
            }
        }
    }

    // MARK: - Roles

    /// Makes the reader with this email an admin. `by` nil is the command line; a reader must
    /// be an admin. The result says whether anything changed.
    @discardableResult
    public func grant(email: String, by reader: Reader? = nil) async throws -> RoleChange {
        try await setAdmin(email: email, true, by: reader)
    }

    @discardableResult
    public func revoke(email: String, by reader: Reader? = nil) async throws -> RoleChange {
        try await setAdmin(email: email, false, by: reader)
    }

    private func setAdmin(email: String, _ isAdmin: Bool, by reader: Reader?) async throws -> RoleChange {
        var actor = AdminActor.commandLine
        if let reader { actor = try await requireAdmin(reader) }
        let email = email.trimmingWhitespace()
        guard let change = try await store.setAdmin(email: email, isAdmin, by: actor) else {
            throw Refusal.unknownReader(email: email)
        }
        return change
    }

    public func isAdmin(_ reader: Reader?) async throws -> Bool {
        guard let reader else { return false }
        return try await store.isAdmin(readerID: reader.id)
    }

    public func admins() async throws -> [Reader] {
        try await store.admins()
    }

    /// The reader as the actor of an admin action, or `Refusal.notAnAdmin`.
    public func requireAdmin(_ reader: Reader?) async throws -> AdminActor {
        guard let reader, try await isAdmin(reader) else { throw Refusal.notAnAdmin }
        return AdminActor(reader)
    }

    // MARK: - Featuring and hiding

    /// Puts a paper (an arXiv id or URL) on the feed of `day`, with the editor as submitter.
    /// A paper not stored yet is fetched from arXiv; unlike a reader's submission, its age does
    /// not matter. Un-featuring is hiding that day's entry (`hideEntry`).
    public func feature(_ input: String, on day: FeedDay, by reader: Reader) async throws -> Paper {
        let actor = try await requireAdmin(reader)
        guard let id = ArxivID(input.trimmingWhitespace()) else { throw Refusal.notAnID(input) }
        guard day <= FeedDay(timestamp: clock.now) else { throw Refusal.futureDay(day) }
        let paper: Paper
        if let stored = try await store.paper(id: id.base) {
            paper = stored
        } else if let submissions {
            paper = try await submissions.fetchFromArxiv(id)
        } else {
            throw Refusal.unknownPaper(id.base)
        }
        let now = Date(timeIntervalSince1970: clock.now).formatted(.iso8601)
        let entry = DailyEntry(day: day, paper: paper, submittedAt: now, submitter: Submitter(name: reader.name), upvotes: 0)
        switch try await store.feature(entry, by: actor) {
        case .featured, .shownAgain:
            onChange()
            return try await store.paper(id: paper.id) ?? paper
        case .alreadyOnFeed: throw Refusal.alreadyOnFeed(paper.id, day: day)
        case .paperHidden: throw Refusal.paperHidden(paper.id)
        }
    }

    /// Hides a paper from every feed, list, search result and digest (or shows it again).
    /// Doing what is already so changes nothing and logs nothing.
    public func setPaperHidden(_ paperID: String, _ hidden: Bool, by reader: Reader) async throws {
        let actor = try await requireAdmin(reader)
        let id = ArxivID(paperID)?.base ?? paperID
        guard let changed = try await store.setPaperHidden(id, hidden, by: actor) else { throw Refusal.unknownPaper(id) }
        if changed { onChange() }
    }

    /// Hides a paper's entry on one day (a submission, or a featured paper) or shows it again.
    public func setEntryHidden(_ paperID: String, on day: FeedDay, _ hidden: Bool, by reader: Reader) async throws {
        let actor = try await requireAdmin(reader)
        let id = ArxivID(paperID)?.base ?? paperID
        guard let changed = try await store.setEntryHidden(day: day, paperID: id, hidden, by: actor) else {
            throw Refusal.noEntry(id, day: day)
        }
        if changed { onChange() }
    }

    // MARK: - The dashboard

    public struct Dashboard: Sendable {
        public var recentEntries: [CuratedEntry]
        public var hiddenPapers: [Paper]
        public var recentReaders: [ReaderSignUp]
        public var actions: [AdminAction]
    }

    public func dashboard(for reader: Reader?, limit: Int = 50) async throws -> Dashboard {
        _ = try await requireAdmin(reader)
        async let entries = store.recentEntries(limit: limit)
        async let hidden = store.hiddenPapers(limit: limit)
        async let readers = store.recentReaders(limit: limit)
        async let actions = store.adminActions(limit: limit)
        return Dashboard(
            recentEntries: try await entries,
            hiddenPapers: try await hidden,
            recentReaders: try await readers,
            actions: try await actions
        )
    }

    /// The admin log, newest first (the command line shows it too).
    public func actions(limit: Int) async throws -> [AdminAction] {
        try await store.adminActions(limit: limit)
    }
}
