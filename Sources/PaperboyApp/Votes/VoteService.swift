import PaperboyCore
import PaperboyStore

/// Upvotes: one per reader per paper. The form on pages and the JSON API both come here.
public struct VoteService: Sendable {
    let store: any VoteStore & PaperStore
    /// Called after every change (pages showing counts are cached and must be dropped).
    let onChange: @Sendable () -> Void

    public init(store: any VoteStore & PaperStore, onChange: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.onChange = onChange
    }

    public struct Outcome: Sendable, Equatable, Codable {
        public var id: String
        /// Captured upvotes plus local ones.
        public var upvotes: Int
        public var upvoted: Bool
    }

    /// Adds (`add`) or removes the reader's upvote of the paper `id` names.
    public func vote(_ id: String, by reader: Reader, add: Bool) async throws -> Outcome {
        guard let arxivID = ArxivID(id) else { throw DomainError.notFound("“\(id.prefix(80))” is not an arXiv id.") }
        do {
            if add {
                _ = try await store.upvote(paperID: arxivID.base, by: reader.id)
            } else {
                _ = try await store.removeUpvote(paperID: arxivID.base, by: reader.id)
            }
        } catch AccountError.unknownPaper {
            throw DomainError.notFound("No paper \(arxivID.base) here yet.")
        }
        onChange()
        let paper = try await store.paper(id: arxivID.base)
        return Outcome(id: arxivID.base, upvotes: paper?.totalUpvotes ?? 0, upvoted: add)
    }
}
