import PaperboyApp
import PaperboyCore

/// A paper as Markdown (`GET /papers/{id}.md`), for readers, scripts and LLM tools.
enum PaperMarkdown {
    static func render(_ detail: FeedService.PaperDetail) -> String {
        let paper = detail.paper
        var lines = ["# \(escape(paper.title))", ""]
        if !paper.authors.isEmpty { lines.append("**Authors:** \(paper.authors.map(escape).joined(separator: ", "))  ") }
        if let published = paper.publishedDay { lines.append("**Published:** \(published)  ") }
        lines.append("**arXiv:** [\(paper.id)](\(paper.arxivAbsURL)) · [PDF](\(paper.arxivPDFURL))  ")
        if let repo = paper.githubRepo {
            lines.append("**Code:** <\(repo)>\(paper.githubStars.map { " (★ \($0))" } ?? "")  ")
        }
        if let page = paper.projectPage { lines.append("**Project page:** <\(page)>  ") }
        lines.append("**Upvotes:** \(paper.totalUpvotes)")
        if !paper.aiKeywords.isEmpty { lines += ["", "**Keywords:** \(paper.aiKeywords.map(escape).joined(separator: ", "))"] }
        if let summary = paper.aiSummary { lines += ["", "> \(escape(summary))"] }
        lines += ["", "## Abstract", "", paper.summary.isEmpty ? "_No abstract available._" : paper.summary]
        if !detail.featuredDays.isEmpty {
            lines += ["", "## Featured in Daily Papers", ""]
            lines += detail.featuredDays.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Keeps imported text from turning into Markdown or HTML structure.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
