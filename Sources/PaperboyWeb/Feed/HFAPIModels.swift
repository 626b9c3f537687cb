import PaperboyCore

/// JSON shapes of the Hugging Face Papers API, field names as HF spells them, so that
/// `huggingface_hub` and other existing clients read Paperboy unchanged.
enum HFAPI {
    struct Author: Encodable {
        var name: String
        var hidden = false
    }

    struct User: Encodable {
        /// HF sends both: `name` in `submittedBy`, `user` in `submittedOnDailyBy`.
        var name: String
        var user: String
        var fullname: String?
        var avatarUrl: String?
        var type = "user"

        init(_ submitter: Submitter) {
            name = submitter.name
            user = submitter.name
            fullname = submitter.fullname
            avatarUrl = submitter.avatarURL
        }
    }

    struct Organization: Encodable {
        var name: String
        var fullname: String?
        var avatar: String?

        init(_ organization: PaperboyCore.Organization) {
            name = organization.name
            fullname = organization.fullname
            avatar = organization.avatar
        }
    }

    /// `paper` inside a daily item made here, and the body of `GET /api/papers/{id}` for a
    /// paper whose latest entry has no capture.
    struct Paper: Encodable {
        var id: String
        var authors: [Author]
        var publishedAt: String?
        var submittedOnDailyAt: String?
        var submittedOnDailyBy: User?
        var title: String
        var summary: String
        var upvotes: Int
        var discussionId: String?
        var githubRepo: String?
        var githubStars: Int?
        var projectPage: String?
        var ai_summary: String?
        var ai_keywords: [String]
        var organization: Organization?
        var categories: [String]?
        /// Captured plus local comments; only `GET /api/papers/{id}` sets it (as Hugging Face's
        /// paper endpoint does), daily items carry theirs beside `paper`.
        var numComments: Int?

        init(_ paper: PaperboyCore.Paper, entry: DailyEntry?) {
            id = paper.id
            authors = paper.authors.map { Author(name: $0) }
            publishedAt = paper.publishedAt
            submittedOnDailyAt = entry?.submittedAt ?? entry.map { "\($0.day)T00:00:00.000Z" }
            submittedOnDailyBy = entry?.submitter.map(User.init)
            title = paper.title
            summary = paper.summary
            upvotes = paper.totalUpvotes
            discussionId = paper.discussionID
            githubRepo = paper.githubRepo
            githubStars = paper.githubStars
            projectPage = paper.projectPage
            ai_summary = paper.aiSummary
            ai_keywords = paper.aiKeywords
            organization = paper.organization.map(Organization.init)
            categories = paper.categories.isEmpty ? nil : paper.categories
        }
    }

    /// One item of `GET /api/daily_papers` for an entry made here (a local submission);
    /// captured items are served as they came, by `CapturedJSON`.
    struct DailyItem: Encodable {
        var paper: Paper
        var publishedAt: String
        var title: String
        var summary: String
        var thumbnail: String?
        var numComments: Int
        var submittedBy: User?
        var organization: Organization?
        var isAuthorParticipating = false

        init(_ entry: DailyEntry) {
            paper = Paper(entry.paper, entry: entry)
            publishedAt = entry.submittedAt ?? "\(entry.day)T00:00:00.000Z"
            title = entry.paper.title
            summary = entry.paper.summary
            thumbnail = entry.thumbnail
            numComments = entry.totalComments
            submittedBy = entry.submitter.map(User.init)
            organization = entry.paper.organization.map(Organization.init)
        }
    }

    /// One item of `GET /api/papers/search`: the daily-item shape, for papers that may never
    /// have been on the feed.
    struct SearchItem: Encodable {
        var paper: Paper
        var title: String
        var summary: String
        var publishedAt: String?
        var numComments: Int

        init(_ paper: PaperboyCore.Paper) {
            self.paper = Paper(paper, entry: nil)
            numComments = paper.localComments
            title = paper.title
            summary = paper.summary
            publishedAt = paper.publishedAt
        }
    }

    struct ErrorBody: Encodable {
        var error: String
    }
}
