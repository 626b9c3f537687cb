import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyIngest

struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch metadata from outside sources.", subcommands: [FetchArxiv.self])
}

/// `paperboy fetch arxiv <id>...`: the same arXiv client submissions use; the papers are added
/// to the database like an arXiv listing import.
struct FetchArxiv: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "arxiv", abstract: "Fetch papers from the arXiv API by id or URL and import them.")

    @OptionGroup var options: StoreOptions

    /// Long known here as `--api-url`; `serve` calls it `--arxiv-api-url`; both names work on both.
    @Option(name: Setting.arxivAPIURL.names, help: Setting.arxivAPIURL.help)
    var apiURL: String?

    @Argument(help: "arXiv ids or URLs.")
    var ids: [String]

    func run() async throws {
        let settings = try await options.settings(for: .fetchArxiv, FlagValues(texts: [.arxivAPIURL: apiURL]))
        var parsed: [ArxivID] = []
        for input in ids {
            guard let id = ArxivID(input) else { throw CommandFailure("“\(input)” is not an arXiv id or URL") }
            parsed.append(id)
        }
        let client = ArxivClient(
            baseURL: settings.string(.arxivAPIURL),
            logger: settings.makeLogger("arxiv")
        )
        let papers: [Paper]
        do {
            papers = try await client.papers(ids: parsed)
        } catch {
            throw CommandFailure("\(error)")
        }
        let counts = try await settings.openStore().importArxivPapers(papers)
        for paper in papers { print("\(paper.id)\t\(paper.publishedDay?.description ?? "-")\t\(paper.title)") }
        let missing = Set(parsed.map(\.base)).subtracting(papers.map(\.id))
        for id in missing.sorted() { FileHandle.standardError.write(Data("not found on arXiv: \(id)\n".utf8)) }
        print("papers=\(counts.papers) new=\(counts.new) updated=\(counts.updated) not_found=\(missing.count)")
        if !missing.isEmpty { throw ExitCode(2) }
    }
}
