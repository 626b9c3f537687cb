import Foundation
import PaperboyCore

/// Readers' collections of papers: named, public or private, ordered, with a note per paper.
/// A collection belongs to one reader; only the web and API layers decide who may see it.
/// Positions are kept dense (0, 1, 2, …) by every write.
public protocol CollectionStore: Sendable {
    func createCollection(owner readerID: Int64, name: String, description: String, isPublic: Bool) async throws -> PaperCollection

    func collection(id: Int64) async throws -> PaperCollection?

    /// A reader's collections, most recently changed first; private ones only when asked.
    func collections(of readerID: Int64, includingPrivate: Bool) async throws -> [PaperCollection]

    /// Changes what is given; false when there is no such collection.
    func updateCollection(id: Int64, name: String?, description: String?, isPublic: Bool?) async throws -> Bool

    /// Deletes a collection and its items; false when there was none.
    func deleteCollection(id: Int64) async throws -> Bool

    /// The collection's papers in order.
    func items(ofCollection id: Int64) async throws -> [CollectionItem]

    /// Adds a paper at the end; false when it is there already. Fails with
    /// `CollectionError.unknownPaper` or `.unknownCollection`.
    func addPaper(_ paperID: String, toCollection id: Int64, note: String?) async throws -> Bool

    /// Removes a paper (later ones move up); false when it was not there.
    func removePaper(_ paperID: String, fromCollection id: Int64) async throws -> Bool

    /// Sets (or clears, with nil) the note on a paper of the collection; false when it is not there.
    func setNote(_ note: String?, onPaper paperID: String, inCollection id: Int64) async throws -> Bool

    /// Moves a paper to `position` (clamped to the collection), the others keeping their order;
    /// false when it is not there.
    func movePaper(_ paperID: String, inCollection id: Int64, to position: Int) async throws -> Bool

    /// Which of the reader's collections hold the paper.
    func collectionIDs(of readerID: Int64, containing paperID: String) async throws -> Set<Int64>
}

public struct PaperCollection: Sendable, Equatable {
    public var id: Int64
    public var ownerID: Int64
    public var ownerName: String
    public var name: String
    public var description: String
    public var isPublic: Bool
    /// ISO 8601, UTC.
    public var createdAt: String
    public var updatedAt: String
    public var paperCount: Int

    public init(
        id: Int64,
        ownerID: Int64,
        ownerName: String,
        name: String,
        description: String,
        isPublic: Bool,
        createdAt: String,
        updatedAt: String,
        paperCount: Int
    ) {
        self.id = id
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.name = name
        self.description = description
        self.isPublic = isPublic
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.paperCount = paperCount
    }
}

public struct CollectionItem: Sendable, Equatable {
    public var paper: Paper
    public var position: Int
    public var note: String?
    /// ISO 8601, UTC.
    public var addedAt: String

    public init(paper: Paper, position: Int, note: String?, addedAt: String) {
        self.paper = paper
        self.position = position
        self.note = note
        self.addedAt = addedAt
    }
}

public enum CollectionError: Error, Equatable {
    case unknownPaper
    case unknownCollection
}
