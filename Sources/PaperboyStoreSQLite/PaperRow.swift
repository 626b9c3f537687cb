import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

/// Maps papers and feed entries to and from their SQL rows.
enum PaperRow {
    static func insert(_ paper: Paper, upvotesDay: FeedDay?, revision: Int, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO papers (title, summary, authors, published_at, categories, github_repo,
                    github_stars, project_page, ai_summary, ai_keywords, organization_name,
                    organization_fullname, organization_avatar, discussion_id, upvotes, upvotes_day,
                    source, listing_updated_at, revision, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: arguments(paper, upvotesDay: upvotesDay, revision: revision))
    }

    static func update(_ paper: Paper, upvotesDay: FeedDay?, revision: Int, db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE papers SET title = ?, summary = ?, authors = ?, published_at = ?,
                    categories = ?, github_repo = ?, github_stars = ?, project_page = ?,
                    ai_summary = ?, ai_keywords = ?, organization_name = ?,
                    organization_fullname = ?, organization_avatar = ?, discussion_id = ?,
                    upvotes = ?, upvotes_day = ?, source = ?, listing_updated_at = ?, revision = ?
                WHERE id = ?
                """
        ).execute(arguments: arguments(paper, upvotesDay: upvotesDay, revision: revision))
    }

    private static func arguments(_ paper: Paper, upvotesDay: FeedDay?, revision: Int) -> StatementArguments {
        [
            paper.title, paper.summary, JSONList.encode(paper.authors), paper.publishedAt,
            JSONList.encode(paper.categories), paper.githubRepo, paper.githubStars,
            paper.projectPage, paper.aiSummary, JSONList.encode(paper.aiKeywords),
            paper.organization?.name, paper.organization?.fullname, paper.organization?.avatar,
            paper.discussionID, paper.upvotes, upvotesDay?.description, paper.source.rawValue,
            paper.listingUpdatedAt, revision, paper.id,
        ]
    }

    static func decode(_ row: Row) throws -> Paper {
        let organizationName: String? = row["organization_name"]
        var paper = Paper(
            id: row["id"],
            title: row["title"],
            summary: row["summary"],
            authors: JSONList.decode(row["authors"]),
            publishedAt: row["published_at"],
            categories: JSONList.decode(row["categories"]),
            githubRepo: row["github_repo"],
            githubStars: row["github_stars"],
            projectPage: row["project_page"],
            aiSummary: row["ai_summary"],
            aiKeywords: JSONList.decode(row["ai_keywords"]),
            organization: organizationName.map {
                Organization(name: $0, fullname: row["organization_fullname"], avatar: row["organization_avatar"])
            },
            discussionID: row["discussion_id"],
            upvotes: row["upvotes"],
            localUpvotes: row["local_upvotes"] ?? 0,
            source: PaperSource(rawValue: row["source"]) ?? .arxiv,
            listingUpdatedAt: row["listing_updated_at"]
        )
        paper.localComments = row["local_comments"] ?? 0
        return paper
    }

    /// Decodes a row of `papers` joined with its `daily_entries` columns (`entry_upvotes`,
    /// `raw_json`, `position`).
    static func decodeEntry(_ row: Row) throws -> DailyEntry {
        let submitterName: String? = row["submitter_name"]
        let day: String = row["day"]
        return DailyEntry(
            day: FeedDay(day) ?? FeedDay(daysSinceEpoch: 0),
            paper: try decode(row),
            submittedAt: row["submitted_at"],
            submitter: submitterName.map {
                Submitter(name: $0, fullname: row["submitter_fullname"], avatarURL: row["submitter_avatar"])
            },
            upvotes: row["entry_upvotes"],
            numComments: row["num_comments"],
            thumbnail: row["thumbnail"],
            rawItem: (row["raw_json"] as String?).map { Data($0.utf8) },
            position: row["position"]
        )
    }
}
