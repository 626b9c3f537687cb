import Foundation
import PaperboyCore
import PaperboyMail
import PaperboyStore

/// How digests look and where their links point.
public struct DigestSettings: Sendable {
    public var from: MailAddress
    /// Absolute base URL of the site, without a trailing slash: every link in an email is absolute.
    public var publicURL: String
    /// Trending papers per digest.
    public var trendingCount: Int
    /// "Picked for you" papers per digest, for readers with upvotes.
    public var picksCount: Int
    /// The UTC hour digests go out; trending is ranked as of that hour of the digest date.
    public var sendHour: Double

    public init(
        from: MailAddress,
        publicURL: String,
        trendingCount: Int = 10,
        picksCount: Int = 5,
        sendHour: Double = 7
    ) {
        self.from = from
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.trendingCount = trendingCount
        self.picksCount = picksCount
        self.sendHour = sendHour
    }
}

/// One date's digest before it is personalised: the trending ranking as of that date.
public struct DigestEdition: Sendable {
    var date: FeedDay
    /// Ranked candidates, more than a digest holds, so readers who already got the top ones
    /// still receive a full digest of papers new to them.
    var trending: [Paper]
    var papers: [String: Paper]
    /// The newest feed day on or before `date`: picks are papers of the weeks before it, as on
    /// `/papers/for-you` (a feed that lags the calendar still has picks).
    var latestFeedDay: FeedDay?
    /// Comments captured from the source with the ranked entries, by paper id.
    var capturedComments: [String: Int] = [:]
}

/// Decides what each reader gets and renders it as a multipart email.
public struct DigestComposer: Sendable {
    let store: any PaperStore & AccountStore
    let engine: SearchEngine?
    let templates: DigestTemplates
    let signer: LinkSigner
    public let settings: DigestSettings
    /// Where Message-ID nonces come from.
    let random: any RandomSource
    var trendingWindowDays = 7
    /// How far back picks reach, from the digest date.
    var picksWindowDays = 30

    public init(
        store: any PaperStore & AccountStore,
        engine: SearchEngine?,
        templates: DigestTemplates,
        signer: LinkSigner,
        settings: DigestSettings,
        trendingWindowDays: Int = 7,
        random: any RandomSource = SystemRandomSource()
    ) {
        self.store = store
        self.engine = engine
        self.templates = templates
        self.signer = signer
        self.settings = settings
        self.trendingWindowDays = trendingWindowDays
        self.random = random
    }

    public func edition(for date: FeedDay) async throws -> DigestEdition {
        let clock = FixedClock(date, hour: settings.sendHour)
        let feed = FeedService(store: store, clock: clock, trendingWindowDays: trendingWindowDays)
        guard let latest = try await feed.latestDay(onOrBefore: date) else {
            return DigestEdition(date: date, trending: [], papers: [:])
        }
        let ranked = try await feed.trendingEntries(
            in: latest.adding(days: 1 - trendingWindowDays)...latest,
            limit: settings.trendingCount * 3
        )
        let papers = ranked.map(\.entry.paper)
        return DigestEdition(
            date: date,
            trending: papers,
            papers: Dictionary(papers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            latestFeedDay: latest,
            capturedComments: Dictionary(ranked.map { ($0.entry.paper.id, $0.entry.numComments) }, uniquingKeysWith: max)
        )
    }

    /// What a reader gets: trending papers they were not sent before, and picks from their
    /// upvotes. Nil when nothing is new to them.
    public func compose(
        _ delivery: DigestDelivery,
        edition: DigestEdition,
        alreadySent: Set<String>
    ) async throws
        -> DigestComposition?
    {
        let trending = edition.trending.lazy.map(\.id).filter { !alreadySent.contains($0) }
            .prefix(settings.trendingCount)
        var picks: [String] = []
        if let userID = delivery.userID, let engine, settings.picksCount > 0 {
            let upvoted = try await store.upvotedPapers(by: userID, limit: 200).map(\.id)
            if !upvoted.isEmpty {
                let excluded = alreadySent.union(upvoted).union(trending)
                picks = engine.recommendations(
                    forUpvoted: upvoted,
                    excluding: excluded,
                    since: (edition.latestFeedDay ?? edition.date).adding(days: -picksWindowDays),
                    limit: settings.picksCount
                ).map(\.id)
            }
        }
        guard !trending.isEmpty || !picks.isEmpty else { return nil }
        return DigestComposition(
            subscriberID: delivery.subscriberID,
            messageID: messageID(for: delivery),
            paperIDs: Array(trending),
            pickIDs: picks
        )
    }

    /// Unique per reader and date, and random, so it reveals nothing; fixed once composed.
    private func messageID(for delivery: DigestDelivery) -> String {
        let nonce = random.uint64()
        return "<digest.\(delivery.date).\(delivery.subscriberID).\(String(nonce, radix: 36))@\(settings.from.domain)>"
    }

    /// The papers of a composed delivery: from the edition, or from the store for picks and for
    /// papers that left the ranking since the delivery was composed.
    /// The digest of `date` as a reader (or, without one, any subscriber) would get it today,
    /// ignoring what was sent before: the preview page shows this.
    public func preview(date: FeedDay, readerID: Int64?) async throws -> DigestContent {
        let edition = try await edition(for: date)
        var delivery = DigestDelivery(
            subscriberID: 0,
            email: "",
            userID: readerID,
            date: date,
            state: .pending,
            attempts: 0,
            messageID: nil,
            paperIDs: [],
            pickIDs: [],
            lastError: nil
        )
        let composition = try await compose(delivery, edition: edition, alreadySent: [])
        delivery.paperIDs = composition?.paperIDs ?? []
        delivery.pickIDs = composition?.pickIDs ?? []
        return try await content(of: delivery, edition: edition)
    }

    public func content(of delivery: DigestDelivery, edition: DigestEdition) async throws -> DigestContent {
        var papers = edition.papers
        let missing = (delivery.paperIDs + delivery.pickIDs).filter { papers[$0] == nil }
        if !missing.isEmpty {
            for paper in try await store.papers(ids: missing) { papers[paper.id] = paper }
        }
        return DigestContent(
            date: delivery.date,
            trending: delivery.paperIDs.compactMap { papers[$0] },
            picks: delivery.pickIDs.compactMap { papers[$0] },
            capturedComments: edition.capturedComments
        )
    }

    /// The parts of a digest that are the same for every reader who gets the same papers:
    /// rendered once, with a placeholder where each reader's unsubscribe link goes.
    func rendered(_ delivery: DigestDelivery, edition: DigestEdition) async throws -> RenderedDigest {
        let content = try await content(of: delivery, edition: edition)
        let site = settings.publicURL
        let placeholder = RenderedDigest.placeholder
        let html = try templates.render("digest-email", content.context(siteURL: site, unsubscribeURL: placeholder))
        return RenderedDigest(
            subject: content.subject,
            textParts: content.text(siteURL: site, unsubscribeURL: placeholder).components(separatedBy: placeholder),
            htmlParts: html.components(separatedBy: placeholder)
        )
    }

    /// One reader's email, with one-click unsubscribe headers (RFC 8058).
    func message(_ rendered: RenderedDigest, for subscriber: Subscriber, messageID: String?, now: Date) throws -> MailMessage {
        let unsubscribeURL = settings.publicURL + "/digest/unsubscribe?token=" + signer.token(.unsubscribe, for: subscriber)
        return try MailMessage(
            from: settings.from,
            to: [MailAddress(subscriber.email)],
            subject: rendered.subject,
            text: rendered.textParts.joined(separator: unsubscribeURL),
            html: rendered.htmlParts.joined(separator: unsubscribeURL),
            date: now,
            messageID: messageID,
            headers: [
                .listUnsubscribe(url: URL(string: unsubscribeURL)!), .listUnsubscribeOneClick,
                try MailHeader("List-Id", "Paperboy daily digest <digest.\(settings.from.domain)>"),
                try MailHeader("Auto-Submitted", "auto-generated"),
            ]
        )
    }

    /// A key for `rendered`: deliveries with the same papers render the same.
    static func renderingKey(_ delivery: DigestDelivery) -> String {
        delivery.paperIDs.joined(separator: ",") + "|" + delivery.pickIDs.joined(separator: ",")
    }
}

/// A digest rendered for every reader of the same papers; the unsubscribe link goes between parts.
public struct RenderedDigest: Sendable {
    /// Letters and dashes only, so HTML escaping leaves it as it is.
    static let placeholder = "PAPERBOY-UNSUBSCRIBE-LINK-PLACEHOLDER"
    var subject: String
    var textParts: [String]
    var htmlParts: [String]
}

/// The papers of one digest, as the text body, the HTML template context and the subject.
public struct DigestContent {
    var date: FeedDay
    var trending: [Paper]
    var picks: [Paper]
    var capturedComments: [String: Int] = [:]

    /// Captured plus local comments, as cards on the site count them.
    func comments(_ paper: Paper) -> Int {
        (capturedComments[paper.id] ?? 0) + paper.localComments
    }

    /// "3 upvotes · 1 comment": comments only when there are some.
    func counts(_ paper: Paper) -> String {
        let comments = comments(paper)
        let upvotes = DisplayText.counted(paper.totalUpvotes, "upvote")
        return comments > 0 ? "\(upvotes) · \(DisplayText.counted(comments, "comment"))" : upvotes
    }

    var subject: String {
        let top = trending.first ?? picks.first
        let title = top.map { DisplayText.snippet($0.title.collapsingWhitespace(), length: 90) } ?? ""
        return "Trending papers, \(DisplayText.longDate(date)): \(title)"
    }

    public func text(siteURL: String, unsubscribeURL: String) -> String {
        var lines = ["Trending papers for \(DisplayText.longDate(date))", ""]
        func add(_ papers: [Paper]) {
            for (index, paper) in papers.enumerated() {
                lines.append("\(index + 1). \(paper.title.collapsingWhitespace())")
                lines.append("   \(DisplayText.shortAuthors(paper.authors)) · \(counts(paper))")
                lines.append("   \(Self.shortAbstract(paper.summary))")
                lines.append("   \(siteURL)/papers/\(paper.id)")
                lines.append("")
            }
        }
        add(trending)
        if !picks.isEmpty {
            lines.append("Picked for you, from the papers you upvoted")
            lines.append("")
            add(picks)
        }
        lines += [
            "--", "You get this because you subscribed to the Paperboy daily digest.",
            "Unsubscribe with one click: \(unsubscribeURL)",
        ]
        return lines.joined(separator: "\n")
    }

    public func context(siteURL: String, unsubscribeURL: String) -> [String: Any] {
        func cards(_ papers: [Paper]) -> [[String: Any]] {
            papers.enumerated().map { index, paper in
                var card: [String: Any] = [
                    "rank": index + 1, "title": paper.title.collapsingWhitespace(),
                    "url": "\(siteURL)/papers/\(paper.id)",
                    "authors": DisplayText.shortAuthors(paper.authors), "upvotes": paper.totalUpvotes,
                    "abstract": Self.shortAbstract(paper.summary),
                ]
                if comments(paper) > 0 { card["comments"] = DisplayText.counted(comments(paper), "comment") }
                return card
            }
        }
        return [
            "pageTitle": subject, "date": DisplayText.longDate(date), "siteURL": siteURL,
            "trending": cards(trending), "picks": cards(picks), "hasPicks": !picks.isEmpty,
            "unsubscribeURL": unsubscribeURL,
        ]
    }

    /// The opening of the abstract, about 300 characters, cut at a word.
    static func shortAbstract(_ summary: String) -> String {
        DisplayText.snippet(summary.collapsingWhitespace(), length: 300)
    }
}
