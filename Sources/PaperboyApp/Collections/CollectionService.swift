import Foundation
import PaperboyCore
import PaperboyStore

/// Readers' collections: create, rename, make public or private, add and remove papers,
/// reorder them, note them, export them (`Citations`). A private collection exists only for
/// its owner: anyone else gets the same "not found" as for a collection that never was. A
/// public one can be read by anyone and changed only by its owner.
public struct CollectionService: Sendable {
    public static let maxNameLength = 100
    public static let maxDescriptionLength = 1_000
    public static let maxNoteLength = 1_000
    public static let maxCollectionsPerReader = 200
    public static let maxPapersPerCollection = 2_000

    let store: any CollectionStore & PaperStore

    public init(store: any CollectionStore & PaperStore) {
        self.store = store
    }

    public struct View: Sendable {
        public var collection: PaperCollection
        public var items: [CollectionItem]
        public var isOwner: Bool
    }

    public func create(name: String, description: String = "", isPublic: Bool, by reader: Reader) async throws -> PaperCollection {
        let name = try checkedName(name)
        let description = try checkedDescription(description)
        let existing = try await store.collections(of: reader.id, includingPrivate: true)
        guard existing.count < Self.maxCollectionsPerReader else {
            throw DomainError.limitReached("You can keep at most \(Self.maxCollectionsPerReader) collections.")
        }
        return try await store.createCollection(owner: reader.id, name: name, description: description, isPublic: isPublic)
    }

    /// A collection and its papers, for anyone who may see it.
    public func view(_ id: Int64, by viewer: Reader?) async throws -> View {
        let collection = try await visible(id, to: viewer)
        return View(collection: collection, items: try await store.items(ofCollection: id), isOwner: collection.ownerID == viewer?.id)
    }

    /// The collections of `owner` that `viewer` may see: all of them for the owner.
    public func collections(of owner: Reader, viewer: Reader?) async throws -> [PaperCollection] {
        try await store.collections(of: owner.id, includingPrivate: owner.id == viewer?.id)
    }

    public func collections(ofReaderID id: Int64, includingPrivate: Bool) async throws -> [PaperCollection] {
        try await store.collections(of: id, includingPrivate: includingPrivate)
    }

    public func update(_ id: Int64, name: String?, description: String?, isPublic: Bool?, by reader: Reader) async throws -> PaperCollection {
        _ = try await owned(id, by: reader)
        let name = try name.map(checkedName)
        let description = try description.map(checkedDescription)
        _ = try await store.updateCollection(id: id, name: name, description: description, isPublic: isPublic)
        return try await owned(id, by: reader)
    }

    public func delete(_ id: Int64, by reader: Reader) async throws {
        _ = try await owned(id, by: reader)
        _ = try await store.deleteCollection(id: id)
    }

    /// Adds a paper (an arXiv id or URL) at the end; false when it was there already.
    @discardableResult
    public func add(_ paperID: String, to id: Int64, note: String? = nil, by reader: Reader) async throws -> Bool {
        let collection = try await owned(id, by: reader)
        let paper = try paperIDOrNotFound(paperID)
        let note = try checkedNote(note)
        guard collection.paperCount < Self.maxPapersPerCollection else {
            throw DomainError.limitReached("A collection holds at most \(Self.maxPapersPerCollection) papers.")
        }
        do {
            return try await store.addPaper(paper, toCollection: id, note: note)
        } catch CollectionError.unknownPaper {
            throw DomainError.notFound("No paper \(paper) here yet.")
        }
    }

    public func remove(_ paperID: String, from id: Int64, by reader: Reader) async throws {
        _ = try await owned(id, by: reader)
        guard try await store.removePaper(try paperIDOrNotFound(paperID), fromCollection: id) else {
            throw DomainError.notFound("That paper is not in this collection.")
        }
    }

    public func setNote(_ note: String?, on paperID: String, in id: Int64, by reader: Reader) async throws {
        _ = try await owned(id, by: reader)
        guard try await store.setNote(try checkedNote(note), onPaper: try paperIDOrNotFound(paperID), inCollection: id) else {
            throw DomainError.notFound("That paper is not in this collection.")
        }
    }

    /// Moves a paper to `position` (0: first), clamped to the collection.
    public func move(_ paperID: String, in id: Int64, to position: Int, by reader: Reader) async throws {
        _ = try await owned(id, by: reader)
        guard try await store.movePaper(try paperIDOrNotFound(paperID), inCollection: id, to: position) else {
            throw DomainError.notFound("That paper is not in this collection.")
        }
    }

    /// The reader's collections, each marked with whether it holds the paper (the paper
    /// page's and the save page's list).
    public func saving(_ paperID: String, by reader: Reader) async throws -> [(collection: PaperCollection, holds: Bool)] {
        let paper = try paperIDOrNotFound(paperID)
        let holding = try await store.collectionIDs(of: reader.id, containing: paper)
        return try await store.collections(of: reader.id, includingPrivate: true).map { ($0, holding.contains($0.id)) }
    }

    /// A collection as BibTeX, RIS or CSL-JSON, with each paper's note.
    public func export(_ id: Int64, as format: Citations.Format, by viewer: Reader?) async throws -> String {
        let items = try await view(id, by: viewer).items
        return Citations.render(items.map { Citations.Entry($0.paper, note: $0.note) }, as: format)
    }

    /// One paper as BibTeX, RIS or CSL-JSON.
    public func export(paper paperID: String, as format: Citations.Format) async throws -> String {
        let id = try paperIDOrNotFound(paperID)
        guard let paper = try await store.paper(id: id) else { throw DomainError.notFound("No paper \(id) here yet.") }
        return Citations.render([Citations.Entry(paper)], as: format)
    }

    // MARK: - Rules

    private func visible(_ id: Int64, to viewer: Reader?) async throws -> PaperCollection {
        guard let collection = try await store.collection(id: id), collection.isPublic || collection.ownerID == viewer?.id else {
            throw DomainError.notFound("There is no collection \(id), or it is private.")
        }
        return collection
    }

    private func owned(_ id: Int64, by reader: Reader) async throws -> PaperCollection {
        let collection = try await visible(id, to: reader)
        guard collection.ownerID == reader.id else { throw DomainError.notAllowed("Only its owner can change a collection.") }
        return collection
    }

    private func paperIDOrNotFound(_ id: String) throws -> String {
        guard let arxivID = ArxivID(id.trimmingCharacters(in: .whitespaces)) else {
            throw DomainError.notFound("“\(id.prefix(80))” is not an arXiv id.")
        }
        return arxivID.base
    }

    private func checkedName(_ name: String) throws -> String {
        let name = name.collapsingWhitespace()
        guard !name.isEmpty else { throw DomainError.invalid("A collection needs a name.") }
        guard name.count <= Self.maxNameLength else {
            throw DomainError.invalid("A collection's name can be at most \(Self.maxNameLength) characters long.")
        }
        return name
    }

    private func checkedDescription(_ text: String) throws -> String {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= Self.maxDescriptionLength else {
            throw DomainError.invalid("A description can be at most \(Self.maxDescriptionLength) characters long.")
        }
        return text
    }

    private func checkedNote(_ note: String?) throws -> String? {
        guard let note = note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty else { return nil }
        guard note.count <= Self.maxNoteLength else {
            throw DomainError.invalid("A note can be at most \(Self.maxNoteLength) characters long.")
        }
        return note
    }
}
