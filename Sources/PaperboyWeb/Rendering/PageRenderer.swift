import Foundation
import Mustache
import PaperboyApp
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// Turns domain values into HTML through the Mustache templates in `Resources/templates`.
/// Every `{{value}}` is HTML-escaped by Mustache; no template uses triple braces.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// The token of the digest subscribe form in the footer of pages without a logged-in
    /// reader (`LinkSigner.subscribeFormToken`); no form when nil.
    var subscribeFormToken: String?

    public init() async throws {
        guard let header = WebResources.path("header.mustache", in: "templates") else {
            throw RendererError.missingTemplates
        }
        var library = try await MustacheLibrary(directory: URL(fileURLWithPath: header).deletingLastPathComponent().path)
        // The digest preview page shows the email's own body.
        for (name, source) in try DigestTemplates().sources {
            try library.register(source, named: name)
        }
        self.library = library
        guard library.getTemplate(named: "feed") != nil else { throw RendererError.missingTemplates }
    }

    enum RendererError: Error, CustomStringConvertible {
        case missingTemplates, missingStylesheet
        case missingTemplate(String)

        var description: String {
            switch self {
            case .missingTemplates: return "page templates are missing from the PaperboyWeb resource bundle"
            case .missingStylesheet: return "style.css is missing from the PaperboyWeb resource bundle"
            case .missingTemplate(let name): return "no page template named \(name)"
            }
        }
    }

    /// The logged-in reader looking at a page: their name and CSRF token go into the header,
    /// and cards get upvote forms. Pages for anonymous visitors have none and can be cached.
    struct Viewer {
        var reader: Reader
        var csrf: String
        var upvoted: Set<String> = []
        var returnTo = "/"
        /// An editor: the header links to /admin, cards and paper pages get hide buttons.
        var isAdmin = false
    }

    func render(_ template: String, _ context: [String: Any], viewer: Viewer? = nil) throws -> String {
        var context = context
        if let viewer {
            context["viewerName"] = viewer.reader.name
            context["viewerCSRF"] = viewer.csrf
            if viewer.isAdmin { context["viewerAdmin"] = true }
        }
        if let token = viewer?.csrf ?? subscribeFormToken { context["subscribeCSRF"] = token }
        guard let html = library.render(context, withTemplate: template) else {
            throw RendererError.missingTemplate(template)
        }
        return html
    }

    func feedPage(_ page: FeedService.FeedPage, latest: Bool, viewer: Viewer? = nil) throws -> String {
        let period = page.period
        let anchor = page.period.days.lowerBound
        var context: [String: Any] = [
            "pageTitle": latest ? "Daily Papers" : heading(for: period),
            "heading": latest ? "Daily Papers · \(DisplayText.longDate(anchor))" : heading(for: period),
            "cards": page.entries.map { card($0, viewer: viewer) },
            "emptyMessage": {
                if case .day = period { return "No papers featured on \(label(for: period))." }
                return "No papers featured in \(label(for: period))."
            }(),
            "dayURL": FeedPeriod.day(period.days.upperBound).path,
            "weekURL": FeedPeriod.week(containing: anchor).path,
            "monthURL": FeedPeriod.month(containing: anchor).path,
        ]
        switch period {
        case .day: context["isDay"] = true
        case .week: context["isWeek"] = true
        case .month: context["isMonth"] = true
        }
        context.merge(pager(period: period, neighbours: page.neighbours)) { _, new in new }
        return try render("feed", context, viewer: viewer)
    }

    func trendingPage(_ entries: [DailyEntry], span: TrendingSpan, viewer: Viewer? = nil) throws -> String {
        // "Now" is the default rolling window; the others are the latest feed day, week and month.
        let periods = [(TrendingSpan.window, "Now"), (.day, "Day"), (.week, "Week"), (.month, "Month")].map { period, label in
            [
                "url": period == .window ? "/papers/trending" : "/papers/trending?period=\(period.rawValue)", "label": label,
                "current": period == span,
            ]
        }
        let heading =
            switch span {
            case .window: "Trending papers"
            case .day: "Trending papers of the day"
            case .week: "Trending papers of the week"
            case .month: "Trending papers of the month"
            }
        return try render(
            "trending",
            ["pageTitle": "Trending", "heading": heading, "cards": entries.map { card($0, viewer: viewer) }, "periods": periods],
            viewer: viewer
        )
    }

    func paperPage(
        _ detail: FeedService.PaperDetail,
        related: [Paper] = [],
        discussion: DiscussionService.Discussion? = nil,
        reported: Int64? = nil,
        saving: [(collection: PaperCollection, holds: Bool)] = [],
        viewer: Viewer? = nil
    ) throws -> String {
        let paper = detail.paper
        let paragraphs = paper.summary.split(separator: "\n\n").map(String.init)
        let featured = detail.featuredDays.reversed().map { day in
            ["url": FeedPeriod.day(day).path, "label": DisplayText.longDate(day)]
        }
        let context: [String: Any?] = [
            "pageTitle": paper.title,
            "title": paper.title,
            "authors": Self.authorLinks(paper.authors, first: paper.authors.count),
            "published": paper.publishedDay.map(DisplayText.longDate),
            "upvotes": paper.totalUpvotes,
            "upvotesText": DisplayText.counted(paper.totalUpvotes, "upvote"),
            "organization": paper.organization.map { $0.fullname ?? $0.name },
            "organizationURL": paper.organization.map(Self.organizationPath),
            "categories": paper.categories,
            "absURL": paper.arxivAbsURL,
            "pdfURL": paper.arxivPDFURL,
            "githubRepo": Self.safeURL(paper.githubRepo),
            "githubStars": paper.githubStars.flatMap { $0 > 0 ? $0 : nil },
            "projectPage": Self.safeURL(paper.projectPage),
            "markdownURL": "/papers/\(paper.id).md",
            "aiSummary": paper.aiSummary,
            "abstract": paragraphs,
            "keywords": paper.aiKeywords,
            "hasKeywords": !paper.aiKeywords.isEmpty,
            "featured": featured,
            "hasFeatured": !featured.isEmpty,
            "related": related.map { paper -> [String: Any] in
                ["url": "/papers/\(paper.id)", "title": paper.title, "authorsShort": DisplayText.shortAuthors(paper.authors)]
            },
            "hasRelated": !related.isEmpty,
        ]
        var values = context.compactMapValues { $0 }
        if let entry = detail.latestEntry {
            if let submitter = entry.submitter {
                values["submitter"] = submitter.fullname ?? submitter.name
                values["submitterURL"] = Self.submitterURL(submitter, imported: entry.rawItem != nil)
            }
            if let thumbnail = Self.mediaURL(entry.thumbnail) { values["thumbnail"] = thumbnail }
            let media = Self.media(in: entry.rawItem, title: paper.title)
            if !media.isEmpty {
                values["media"] = media
                values["hasMedia"] = true
            }
        }
        let comments = (detail.latestEntry?.numComments ?? 0) + paper.localComments
        if comments > 0 { values["comments"] = DisplayText.counted(comments, "comment") }
        if let discussion {
            values["discussion"] = Self.discussionContext(discussion, capturedComments: detail.latestEntry?.numComments ?? 0, reported: reported)
        }
        values["id"] = paper.id
        values["returnTo"] = "/papers/\(paper.id)"
        values["exports"] = Citations.Format.allCases.map { ["url": "/papers/\(paper.id).\($0.rawValue)", "label": $0.label] }
        let holding = saving.filter(\.holds).map { ["name": $0.collection.name, "url": "/collections/\($0.collection.id)"] }
        let choices = saving.filter { !$0.holds }.map { ["name": $0.collection.name, "collectionID": String($0.collection.id)] }
        values["savedIn"] = holding
        values["hasSavedIn"] = !holding.isEmpty
        values["saveChoices"] = choices
        values["hasSaveChoices"] = !choices.isEmpty
        if viewer?.upvoted.contains(paper.id) == true { values["upvoted"] = true }
        if detail.hidden { values["hidden"] = true }
        return try render("paper", values, viewer: viewer)
    }

    /// The discussion section of a paper page.
    static func discussionContext(_ discussion: DiscussionService.Discussion, capturedComments: Int, reported: Int64?) -> [String: Any] {
        // Every key is set, false when it does not apply: a reply is rendered inside its
        // thread's context, and a missing key would be looked up in the parent comment.
        func comment(_ entry: DiscussionService.Entry) -> [String: Any] {
            let comment = entry.comment
            let removed: Any =
                !entry.isRemoved
                ? false : comment.deletedAt != nil ? "This comment was deleted." : "This comment was hidden by a moderator."
            let reports: Any =
                entry.canModerate && comment.openReports > 0 ? DisplayText.counted(comment.openReports, "open report") : false
            return [
                "id": comment.id,
                "author": comment.authorDisplayName ?? comment.authorName,
                "handle": comment.authorDisplayName == nil ? false : comment.authorName,
                "authorURL": "/u/\(QueryString.encode(comment.authorName))",
                "when": DisplayText.timestamp(comment.createdAt),
                "iso": comment.createdAt,
                "html": entry.html,
                "removed": removed,
                "edited": comment.editedAt != nil && !entry.isRemoved,
                "hiddenForModerators": comment.hiddenAt != nil && !entry.isRemoved,
                "canEdit": entry.canEdit,
                "canDelete": entry.canDelete,
                "canReport": entry.canReport,
                "canModerate": entry.canModerate,
                "reports": reports,
                "reportedNow": reported == comment.id,
                "canReply": false,
                "hasReplies": false,
            ]
        }
        let threads = discussion.threads.map { thread -> [String: Any] in
            var values = comment(thread.comment)
            values["replies"] = thread.replies.map(comment)
            values["hasReplies"] = !thread.replies.isEmpty
            values["canReply"] = !thread.comment.isRemoved
            return values
        }
        var values: [String: Any] = [
            "paperID": discussion.paperID,
            "threads": threads,
            "hasThreads": !threads.isEmpty,
            "count": DisplayText.counted(discussion.visibleCount, "comment"),
            "feedURL": "/papers/\(discussion.paperID)/comments.atom",
            "reasons": DiscussionService.reportReasons,
        ]
        if capturedComments > 0 {
            values["captured"] = DisplayText.counted(capturedComments, "comment")
        }
        if discussion.viewerIsModerator { values["moderator"] = true }
        return values
    }

    func accountPage(_ template: String, context: [String: Any], reader: Reader?, csrf: String?) throws -> String {
        var values = context
        let titles = ["signup": "Sign up", "password-forgot": "Forgot your password", "password-reset": "Choose a new password"]
        values["pageTitle"] = titles[template] ?? "Log in"
        let viewer = reader.flatMap { reader in csrf.map { Viewer(reader: reader, csrf: $0) } }
        return try render(template, values, viewer: viewer)
    }

    func profilePage(
        reader: Reader,
        upvoted: [Paper],
        submissions: [Paper],
        collections: [PaperCollection] = [],
        viewer: Reader?,
        csrf: String?
    ) throws -> String {
        func links(_ papers: [Paper]) -> [[String: String]] {
            papers.map { ["url": "/papers/\($0.id)", "title": $0.title] }
        }
        let context: [String: Any] = [
            "pageTitle": reader.displayName ?? reader.name, "profileName": reader.displayName ?? reader.name,
            "upvoted": links(upvoted), "submissions": links(submissions),
            // A list as its own section tag repeats the section once per item: the lists are
            // shown under flags instead.
            "hasUpvoted": !upvoted.isEmpty, "hasSubmissions": !submissions.isEmpty,
            "collections": collections.map(CollectionRoutes.summary), "hasCollections": !collections.isEmpty,
        ]
        var values = context
        if reader.displayName != nil { values["handle"] = reader.name }
        let viewing = viewer.flatMap { viewer in csrf.map { Viewer(reader: viewer, csrf: $0) } }
        return try render("profile", values, viewer: viewing)
    }

    /// An author's page, `/authors/NAME`.
    static func authorPath(_ name: String) -> String {
        "/authors/" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    /// Author names with links to their pages: the first three, and whether there are more.
    static func authorLinks(_ authors: [String], first: Int = 3) -> [[String: String]] {
        authors.prefix(first).map { ["name": $0, "url": authorPath($0)] }
    }

    /// A list of papers on author and organisation pages: link, authors, publication day.
    static func paperList(_ papers: [Paper]) -> [[String: Any]] {
        papers.map { paper in
            var item: [String: Any] = ["url": "/papers/\(paper.id)", "title": paper.title, "authorsShort": DisplayText.shortAuthors(paper.authors)]
            if let day = paper.publishedDay { item["published"] = DisplayText.longDate(day) }
            return item
        }
    }

    func authorPage(_ author: AuthorService.Author, viewer: Viewer?) throws -> String {
        let context: [String: Any] = [
            "pageTitle": author.name,
            "name": author.name,
            "count": DisplayText.counted(author.papers.count, "paper"),
            "feedURL": "/feeds/author.atom?name=" + QueryString.encode(author.name),
            "papers": Self.paperList(author.papers),
        ]
        return try render("author", context, viewer: viewer)
    }

    static func organizationPath(_ organization: Organization) -> String {
        "/orgs/" + (organization.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    func organizationPage(_ organization: Organization, papers: [Paper], viewer: Viewer?) throws -> String {
        let context: [String: Any] = [
            "pageTitle": organization.fullname ?? organization.name,
            "displayName": organization.fullname ?? organization.name,
            "name": organization.name,
            "huggingFaceURL": "https://huggingface.co/" + (organization.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            "count": DisplayText.counted(papers.count, "paper"),
            "papers": Self.paperList(papers),
        ]
        return try render("organization", context, viewer: viewer)
    }

    func submitterPage(_ imported: AccountService.ImportedSubmitter, viewer: Viewer?) throws -> String {
        let submitter = imported.submitter
        let context: [String: Any] = [
            "pageTitle": submitter.fullname ?? submitter.name,
            "displayName": submitter.fullname ?? submitter.name,
            "name": submitter.name,
            "huggingFaceURL": "https://huggingface.co/" + (submitter.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            "submissions": imported.entries.map { entry -> [String: String] in
                ["url": "/papers/\(entry.paper.id)", "title": entry.paper.title, "day": DisplayText.longDate(entry.day)]
            },
            "count": DisplayText.counted(imported.entries.count, "paper"),
        ]
        return try render("submitter", context, viewer: viewer)
    }

    func errorPage(status: Int, reason: String, message: String, previous: DomainError.Link?, next: DomainError.Link?) throws -> String {
        var context: [String: Any] = ["pageTitle": reason, "status": status, "reason": reason, "message": message]
        if let previous {
            context["previousURL"] = previous.url
            context["previousLabel"] = previous.label
        }
        if let next {
            context["nextURL"] = next.url
            context["nextLabel"] = next.label
        }
        return try render("error", context)
    }

    // MARK: - View models

    func card(_ entry: DailyEntry, viewer: Viewer? = nil) -> [String: Any] {
        let paper = entry.paper
        var card: [String: Any] = [
            "id": paper.id,
            "returnTo": viewer?.returnTo ?? "/",
            "url": "/papers/\(paper.id)",
            "title": paper.title,
            "authorsShort": DisplayText.shortAuthors(paper.authors),
            "authorLinks": Self.authorLinks(paper.authors),
            "etAl": paper.authors.count > 3,
            "upvotes": paper.totalUpvotes,
            "keywords": Array(paper.aiKeywords.prefix(6)),
            "hasKeywords": !paper.aiKeywords.isEmpty,
        ]
        if paper.authors.count > 1 { card["authorCount"] = paper.authors.count }
        if let organization = paper.organization {
            card["organization"] = organization.fullname ?? organization.name
            card["organizationURL"] = Self.organizationPath(organization)
        }
        if let day = paper.publishedDay { card["published"] = DisplayText.longDate(day) }
        if let submitter = entry.submitter {
            card["submitter"] = submitter.fullname ?? submitter.name
            card["submitterURL"] = Self.submitterURL(submitter, imported: entry.rawItem != nil)
        }
        if let repo = Self.safeURL(paper.githubRepo) {
            card["githubRepo"] = repo
            if let stars = paper.githubStars, stars > 0 { card["githubStars"] = stars }
        }
        if entry.totalComments > 0 { card["comments"] = DisplayText.counted(entry.totalComments, "comment") }
        if let thumbnail = Self.mediaURL(entry.thumbnail) { card["thumbnail"] = thumbnail }
        if let viewer {
            card["viewerCSRF"] = viewer.csrf
            if viewer.upvoted.contains(paper.id) { card["upvoted"] = true }
            if viewer.isAdmin { card["adminDay"] = entry.day.description }
        }
        return card
    }

    func searchPage(
        _ results: SearchService.Results?,
        query: String,
        filters: SearchFilters,
        mode: SearchMode,
        analyzer: Analyzer,
        notice: String?,
        missingArxivID: String? = nil,
        viewer: Viewer? = nil,
        pageURL: (Int) -> String
    ) throws -> String {
        var context: [String: Any] = [
            "onSearchPage": true,  // the page's own form is the search box: the header's is left out
            "pageTitle": query.isEmpty ? "Search" : "Search: \(query.prefix(80))",
            "searchQuery": query,
            "query": query,
            "hasQuery": !query.isEmpty,
            "from": filters.from?.description ?? "",
            "to": filters.to?.description ?? "",
            "category": filters.category ?? "",
            "hasFilters": !filters.isEmpty || mode != .hybrid,
            "modes": SearchMode.allCases.map { ["value": $0.rawValue, "label": $0.rawValue.capitalized, "selected": $0 == mode] },
        ]
        if let notice { context["notice"] = notice }
        if let missingArxivID { context["missingID"] = missingArxivID }
        if let results {
            let highlighter = Highlighter(analyzer: analyzer, terms: results.terms)
            context["results"] = results.papers.map { hit -> [String: Any] in
                var item: [String: Any] = [
                    "url": "/papers/\(hit.paper.id)",
                    "titleHTML": highlighter.html(hit.paper.title),
                    "snippetHTML": highlighter.html(DisplayText.snippet(hit.paper.summary)),
                    "authors": DisplayText.shortAuthors(hit.paper.authors),
                    "upvotes": hit.paper.totalUpvotes,
                    "categories": hit.paper.categories,
                ]
                if let day = hit.paper.publishedDay { item["published"] = DisplayText.longDate(day) }
                return item
            }
            if results.page > 0 { context["previousURL"] = pageURL(results.page - 1) }
            if results.hasMore { context["nextURL"] = pageURL(results.page + 1) }
        }
        return try render("search", context, viewer: viewer)
    }

    func pager(period: FeedPeriod, neighbours: FeedNeighbours) -> [String: Any] {
        var context: [String: Any] = [:]
        if let before = neighbours.before {
            let previous = period.sameKind(containing: before)
            context["previousURL"] = previous.path
            context["previousLabel"] = label(for: previous)
        }
        if let after = neighbours.after {
            let next = period.sameKind(containing: after)
            context["nextURL"] = next.path
            context["nextLabel"] = label(for: next)
        }
        return context
    }

    func heading(for period: FeedPeriod) -> String {
        switch period {
        case .day(let day): return "Daily Papers · \(DisplayText.longDate(day))"
        case .week: return "Papers of the week of \(DisplayText.dateRange(period.days)) · \(period.identifier)"
        case .month(let year, let month): return "Papers of \(DisplayText.monthNames[month - 1]) \(year)"
        }
    }

    func label(for period: FeedPeriod) -> String {
        switch period {
        case .day(let day): return DisplayText.longDate(day)
        case .week: return period.identifier
        case .month(let year, let month): return "\(DisplayText.monthNames[month - 1]) \(year)"
        }
    }

    /// A submitter's page: a reader's own, or that of a Hugging Face submitter (marked, so that a
    /// reader here who has the same name is never taken for them).
    static func submitterURL(_ submitter: Submitter, imported: Bool) -> String {
        let name = submitter.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return imported ? "/u/\(name)?from=huggingface" : "/u/\(name)"
    }

    /// Where pages may load images from (the Content-Security-Policy's `img-src` allows them):
    /// Hugging Face's thumbnail service.
    static let mediaHosts = ["https://cdn-thumbnails.huggingface.co/", "https://cdn-uploads.huggingface.co/"]

    /// The figures and videos a Hugging Face item carries (`mediaUrls`), from allowed hosts,
    /// at most six: images lazy-loaded with alt text, videos without preloading.
    static func media(in rawItem: Data?, title: String) -> [[String: Any]] {
        guard let rawItem, let item = try? JSONSerialization.jsonObject(with: rawItem) as? [String: Any] else { return [] }
        let listed = (item["mediaUrls"] as? [Any]) ?? ((item["paper"] as? [String: Any])?["mediaUrls"] as? [Any]) ?? []
        let urls = listed.compactMap { $0 as? String }.compactMap(mediaURL).prefix(6)
        return urls.enumerated().map { index, url in
            let kind = url.split(separator: ".").last.map { $0.lowercased() } ?? ""
            let video = ["mp4", "webm", "mov", "qt"].contains(kind)
            return ["url": url, "video": video, "alt": "Figure \(index + 1) of “\(title)”"]
        }
    }

    /// An image URL from imported data, when it is on an allowed host; other images are left
    /// out rather than shown broken by the policy.
    static func mediaURL(_ url: String?) -> String? {
        guard let url, mediaHosts.contains(where: { url.hasPrefix($0) }), !url.contains("\"") else { return nil }
        return url
    }

    /// Only http(s) links reach an `href`: a `javascript:` URL in imported data must not.
    static func safeURL(_ url: String?) -> String? {
        guard let url, url.hasPrefix("https://") || url.hasPrefix("http://") else { return nil }
        return url
    }
}
