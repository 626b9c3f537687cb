import PaperboyCore
import Testing

@Suite struct TextTests {
    @Test func collapsesArxivLineBreaksInTitles() {
        #expect(
            "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal\n  Models".collapsingWhitespace()
                == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
        )
        #expect("  \t\n ".collapsingWhitespace() == "")
    }

    @Test func unwrapsLinesButKeepsParagraphs() {
        let abstract = "First line\nwraps here.\n\nSecond  paragraph\n"
        #expect(abstract.unwrappingParagraphs() == "First line wraps here.\n\nSecond paragraph")
    }
}

@Suite struct MergeTests {
    let listing = Paper(
        id: "2405.15738",
        title: "Listing title",
        summary: "Listing abstract",
        authors: ["A"],
        categories: ["cs.CV", "cs.CL"],
        source: .arxiv
    )
    let feed = Paper(
        id: "2405.15738",
        title: "Feed title",
        summary: "Feed abstract",
        authors: ["A", "B"],
        githubRepo: "https://github.com/x/y",
        githubStars: 5,
        upvotes: 12,
        source: .huggingFace
    )

    @Test func arxivListingOnlyFillsGapsOfAFeedPaper() {
        let merged = feed.merging(arxivListing: listing)
        #expect(merged.title == "Feed title")
        #expect(merged.authors == ["A", "B"])
        #expect(merged.categories == ["cs.CV", "cs.CL"])
        #expect(merged.upvotes == 12)
        #expect(merged.source == .huggingFace)
    }

    @Test func feedCaptureKeepsCategoriesItDoesNotKnow() {
        let merged = listing.merging(feedCapture: feed)
        #expect(merged.title == "Feed title")
        #expect(merged.categories == ["cs.CV", "cs.CL"])
        #expect(merged.source == .huggingFace)
    }

    @Test func newerListingReplacesOlderListing() {
        var newer = listing
        newer.title = "Revised title"
        #expect(listing.merging(arxivListing: newer).title == "Revised title")
    }
}

/// A listing of a newer arXiv version replaces the text, whatever the source, and never the
/// community data.
@Suite struct VersionMergeTests {
    let featured = Paper(
        id: "2405.15738",
        title: "Feed title",
        summary: "Feed abstract",
        authors: ["A", "B"],
        upvotes: 12,
        localUpvotes: 3,
        source: .huggingFace
    )

    func listing(_ date: String?, title: String = "Version 2 title", authors: [String] = ["A", "B", "C"]) -> Paper {
        Paper(
            id: "2405.15738",
            title: title,
            summary: "Version 2 abstract",
            authors: authors,
            categories: ["cs.CL"],
            source: .arxiv,
            listingUpdatedAt: date
        )
    }

    @Test func newerVersionReplacesTextOfAFeedPaperAndKeepsItsVotes() {
        let merged = featured.merging(arxivListing: listing("2024-06-01"))
        #expect(merged.title == "Version 2 title")
        #expect(merged.summary == "Version 2 abstract")
        #expect(merged.authors == ["A", "B", "C"])
        #expect(merged.upvotes == 12)
        #expect(merged.localUpvotes == 3)
        #expect(merged.source == .huggingFace)
        #expect(merged.listingUpdatedAt == "2024-06-01")
    }

    @Test func olderOrSameVersionChangesNoText() {
        let current = featured.merging(arxivListing: listing("2024-06-01"))
        let older = current.merging(arxivListing: listing("2024-05-20", title: "Version 1 title"))
        #expect(older.title == "Version 2 title")
        #expect(older.listingUpdatedAt == "2024-06-01")
        let again = current.merging(arxivListing: listing("2024-06-01", title: "Same version, other text"))
        #expect(again == current)
    }

    @Test func emptyFieldsOfANewVersionKeepTheStoredOnes() {
        let merged = featured.merging(arxivListing: listing("2024-06-01", title: "", authors: []))
        #expect(merged.title == "Feed title")
        #expect(merged.authors == ["A", "B"])
        #expect(merged.summary == "Version 2 abstract")
    }

    @Test func undatedListingDoesNotReplaceADatedVersion() {
        let current = featured.merging(arxivListing: listing("2024-06-01"))
        #expect(current.merging(arxivListing: listing(nil, title: "Undated")).title == "Version 2 title")
        #expect(featured.merging(arxivListing: listing(nil)).title == "Feed title")
    }

    @Test func laterFeedCaptureKeepsTheListedVersionsText() {
        let current = featured.merging(arxivListing: listing("2024-06-01"))
        var capture = featured
        capture.upvotes = 40
        let merged = current.merging(feedCapture: capture)
        #expect(merged.title == "Version 2 title")
        #expect(merged.authors == ["A", "B", "C"])
        #expect(merged.upvotes == 40)
        #expect(merged.localUpvotes == 3)
        #expect(merged.listingUpdatedAt == "2024-06-01")
    }
}
