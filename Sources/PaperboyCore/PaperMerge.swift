/// How a newly imported record combines with what the store already has.
///
/// The Hugging Face feed is the richer source: its fields win, except where it knows nothing
/// (categories come only from arXiv). arXiv listings only fill gaps, so re-importing an old
/// arXiv dump never erases community data.
extension Paper {
    /// `self` is the stored paper; `newer` comes from a daily-feed capture at least as recent.
    public func merging(feedCapture newer: Paper) -> Paper {
        var merged = newer
        merged.localUpvotes = localUpvotes
        if merged.categories.isEmpty { merged.categories = categories }
        if merged.githubStars == nil, merged.githubRepo == githubRepo { merged.githubStars = githubStars }
        if merged.aiKeywords.isEmpty { merged.aiKeywords = aiKeywords }
        if merged.aiSummary == nil { merged.aiSummary = aiSummary }
        if merged.organization == nil { merged.organization = organization }
        if merged.projectPage == nil { merged.projectPage = projectPage }
        if merged.githubRepo == nil {
            merged.githubRepo = githubRepo
            merged.githubStars = githubStars
        }
        if merged.discussionID == nil { merged.discussionID = discussionID }
        // Once an arXiv listing told us its version, arXiv's text stays: the feed may still
        // show an older version's, and flipping back and forth would re-embed the paper twice
        // a sync.
        if let version = listingUpdatedAt {
            merged.listingUpdatedAt = version
            if !title.isEmpty { merged.title = title }
            if !summary.isEmpty { merged.summary = summary }
            if !authors.isEmpty { merged.authors = authors }
        }
        return merged
    }

    /// `self` is the stored paper; `listing` comes from arXiv metadata.
    ///
    /// A listing of a newer arXiv version (see `isNewerVersion(than:)`) replaces the title,
    /// abstract and authors it has, whatever the source; anything else only fills gaps. Community
    /// data (upvotes, local upvotes; feed entries live elsewhere) is never touched.
    public func merging(arxivListing listing: Paper) -> Paper {
        var merged = self
        if !listing.categories.isEmpty { merged.categories = listing.categories }
        if merged.title.isEmpty { merged.title = listing.title }
        if merged.summary.isEmpty { merged.summary = listing.summary }
        if merged.authors.isEmpty { merged.authors = listing.authors }
        if merged.publishedAt == nil { merged.publishedAt = listing.publishedAt }
        guard listing.isNewerVersion(than: self) else { return merged }
        if !listing.title.isEmpty { merged.title = listing.title }
        if !listing.summary.isEmpty { merged.summary = listing.summary }
        if !listing.authors.isEmpty { merged.authors = listing.authors }
        if source == .arxiv { merged.publishedAt = listing.publishedAt ?? publishedAt }
        if let date = listing.listingUpdatedAt { merged.listingUpdatedAt = date }
        return merged
    }

    /// Whether this listing describes a later arXiv version than `stored` knows. Dates compare
    /// as `YYYY-MM-DD` text. An undated listing proves nothing, except to a paper known only
    /// from undated listings, where the newer listing has always been the truth; the same date
    /// again is the same version, so re-harvesting changes nothing.
    func isNewerVersion(than stored: Paper) -> Bool {
        switch (listingUpdatedAt, stored.listingUpdatedAt) {
        case (let new?, let old?): new > old
        case (.some, nil): true
        case (nil, nil): stored.source == .arxiv
        case (nil, .some): false
        }
    }
}
