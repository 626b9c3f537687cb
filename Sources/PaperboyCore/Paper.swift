import Foundation

/// A research paper, identified by its arXiv id. Everything we know about it, whichever
/// source it came from (the Hugging Face daily feed, arXiv listings).
public struct Paper: Equatable, Sendable {
    public var id: String
    public var title: String
    public var summary: String
    /// Author names in the order the paper lists them.
    public var authors: [String]
    /// ISO 8601 UTC timestamp, e.g. `2024-05-24T17:34:15.000Z`.
    public var publishedAt: String?
    /// arXiv categories, primary first (empty when unknown).
    public var categories: [String]
    public var githubRepo: String?
    public var githubStars: Int?
    public var projectPage: String?
    public var aiSummary: String?
    public var aiKeywords: [String]
    public var organization: Organization?
    public var discussionID: String?
    /// Upvotes as last captured from the source.
    public var upvotes: Int
    /// Votes cast by this server's readers (owned by the upvote table, never by imports).
    public var localUpvotes: Int
    /// Comments of this server's readers that readers can see (not deleted, not hidden),
    /// owned by the discussion tables, never by imports.
    public var localComments: Int = 0
    public var source: PaperSource
    /// The date (`YYYY-MM-DD`) of the newest arXiv version a listing told us about; a listing
    /// with a later date brings a new version, whose title, abstract and authors replace ours.
    public var listingUpdatedAt: String?

    /// What readers see everywhere (pages, API, trending): captured plus local votes.
    public var totalUpvotes: Int { upvotes + localUpvotes }

    public init(
        id: String,
        title: String,
        summary: String = "",
        authors: [String] = [],
        publishedAt: String? = nil,
        categories: [String] = [],
        githubRepo: String? = nil,
        githubStars: Int? = nil,
        projectPage: String? = nil,
        aiSummary: String? = nil,
        aiKeywords: [String] = [],
        organization: Organization? = nil,
        discussionID: String? = nil,
        upvotes: Int = 0,
        localUpvotes: Int = 0,
        source: PaperSource,
        listingUpdatedAt: String? = nil
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.authors = authors
        self.publishedAt = publishedAt
        self.categories = categories
        self.githubRepo = githubRepo
        self.githubStars = githubStars
        self.projectPage = projectPage
        self.aiSummary = aiSummary
        self.aiKeywords = aiKeywords
        self.organization = organization
        self.discussionID = discussionID
        self.upvotes = upvotes
        self.localUpvotes = localUpvotes
        self.source = source
        self.listingUpdatedAt = listingUpdatedAt
    }

    /// The UTC day of `publishedAt`, when known.
    public var publishedDay: FeedDay? {
        publishedAt.flatMap { FeedDay($0.prefix(10)) }
    }

    public var arxivAbsURL: String { "https://arxiv.org/abs/\(id)" }
    public var arxivPDFURL: String { "https://arxiv.org/pdf/\(id)" }
}

public enum PaperSource: String, Sendable {
    case huggingFace = "hf"
    case arxiv
}

public struct Organization: Equatable, Sendable {
    public var name: String
    public var fullname: String?
    public var avatar: String?

    public init(name: String, fullname: String? = nil, avatar: String? = nil) {
        self.name = name
        self.fullname = fullname
        self.avatar = avatar
    }
}

/// The reader who put a paper on a feed day.
public struct Submitter: Equatable, Sendable {
    /// Username, the handle used in URLs and in the `submitter` API filter.
    public var name: String
    public var fullname: String?
    public var avatarURL: String?

    public init(name: String, fullname: String? = nil, avatarURL: String? = nil) {
        self.name = name
        self.fullname = fullname
        self.avatarURL = avatarURL
    }
}

/// A paper featured on one feed day, with the community data captured for that day.
public struct DailyEntry: Equatable, Sendable {
    public var day: FeedDay
    public var paper: Paper
    /// When the paper was put on the daily feed (ISO 8601), when the source says.
    public var submittedAt: String?
    public var submitter: Submitter?
    /// Upvotes at capture time for this day.
    public var upvotes: Int
    public var numComments: Int
    public var thumbnail: String?
    /// The item exactly as the source sent it (one JSON object, UTF-8, whitespace between
    /// tokens removed), so that every field, known or not, is kept and served back; nil for
    /// entries made here (local submissions).
    public var rawItem: Data?
    /// The item's index in the day's capture: the source's order among equal upvotes.
    public var position: Int?

    /// What readers see everywhere (cards, the API, digests): captured plus local comments.
    public var totalComments: Int { numComments + paper.localComments }

    public init(
        day: FeedDay,
        paper: Paper,
        submittedAt: String? = nil,
        submitter: Submitter? = nil,
        upvotes: Int,
        numComments: Int = 0,
        thumbnail: String? = nil,
        rawItem: Data? = nil,
        position: Int? = nil
    ) {
        self.day = day
        self.paper = paper
        self.submittedAt = submittedAt
        self.submitter = submitter
        self.upvotes = upvotes
        self.numComments = numComments
        self.thumbnail = thumbnail
        self.rawItem = rawItem
        self.position = position
    }
}
