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
