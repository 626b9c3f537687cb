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
        return merged
    }

    /// `self` is the stored paper; `listing` comes from arXiv metadata.
    public func merging(arxivListing listing: Paper) -> Paper {
        var merged = self
        if !listing.categories.isEmpty { merged.categories = listing.categories }
        if merged.title.isEmpty { merged.title = listing.title }
        if merged.summary.isEmpty { merged.summary = listing.summary }
        if merged.authors.isEmpty { merged.authors = listing.authors }
        if merged.publishedAt == nil { merged.publishedAt = listing.publishedAt }
        if source == .arxiv {
            // Nothing richer is known: the newer listing is the truth.
            merged.title = listing.title
            merged.summary = listing.summary
            merged.authors = listing.authors
            merged.publishedAt = listing.publishedAt ?? publishedAt
        }
        return merged
    }
}
