import Foundation
import PaperboyCore
import PaperboyStore

/// Papers by an author name, the same person however the name's accents and case are written
/// ("Zoë Ålander", "zoe alander"). Names are matched as written on papers, not as identities.
public struct AuthorService: Sendable {
    let store: any PaperStore
    let engine: SearchEngine
    /// How many candidates the word index gives before names are compared.
    static let candidates = 2_000

    public init(store: any PaperStore, engine: SearchEngine) {
        self.store = store
        self.engine = engine
    }

    /// The form names are compared in: accents and case folded, spaces collapsed.
    public static func key(_ name: String) -> String {
        name.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    public struct Author: Sendable {
        /// The name as the newest paper writes it.
        public var name: String
        /// Newest first.
        public var papers: [Paper]
    }

    /// The papers with an author of this name, newest first. Candidates come from the word
    /// index (the name's words in any field), then the names are compared exactly.
    public func author(named name: String, limit: Int = 100) async throws -> Author {
        let key = Self.key(name)
        guard !key.isEmpty, name.count <= 200 else { throw DomainError.invalid("An author name has 1 to 200 characters.") }
        let ids = engine.search(name, mode: .lexical, limit: Self.candidates).map(\.id)
        let papers = try await store.papers(ids: ids)
            .filter { $0.authors.contains { Self.key($0) == key } }
            .sorted { ($0.publishedAt ?? "", $0.id) > ($1.publishedAt ?? "", $1.id) }
        guard let newest = papers.first else { throw DomainError.notFound("No paper by “\(name.prefix(80))” is in Paperboy.") }
        return Author(name: newest.authors.first { Self.key($0) == key } ?? name, papers: Array(papers.prefix(limit)))
    }
}
