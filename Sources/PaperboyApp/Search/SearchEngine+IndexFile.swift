import Foundation
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// The search index kept in a file beside the database, so a server starts by reading it back
/// and loading only what changed since, instead of rebuilding from every stored paper and
/// vector (at a million papers: seconds instead of minutes).
///
/// The file is a cache, never the source of truth. It names the database it was written
/// against (`SearchIndexSource.storeIdentity`), the embedding model and the revisions it had
/// loaded; one that does not match, that stands past what the database holds (an older copy
/// restored in its place), or that cannot be read is ignored and the index is rebuilt.
extension SearchEngine {
    /// What `load()` did.
    public enum LoadSource: String, Sendable {
        /// Read from the index file, then brought up to date from the store.
        case file
        /// Built from every paper and embedding in the store.
        case store
    }

    /// The parts of the file this layer adds around the indexes, bumped when they change.
    static let indexFileLayout = "paperboy-search-engine 2"

    struct IndexFileHeader: Equatable {
        var layout = SearchEngine.indexFileLayout
        var store: String
        var model: String
        var dimension: Int
        var position: RevisionPosition
        var embeddingPosition: RevisionPosition?
    }

    /// Reads the index file if it belongs to this store and model; nil (with the reason
    /// logged) when it does not, cannot be read or is damaged.
    func readIndexFile(_ path: String, source: any SearchIndexSource) async -> Indexes? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let identity = try await source.storeIdentity()
            let latest = try await source.latestRevisions()
            let model = embedder?.modelName ?? ""
            let dimension = embedder?.dimension ?? 384
            let indexes = try await onComputeThread(qos: .userInitiated) { () -> Result<Indexes, any Error> in
                Result { try SearchEngine.readIndexes(path: path, store: identity, model: model, dimension: dimension) }
            }.get()
            if indexes.position.revision > latest.papers || (indexes.embeddingPosition?.revision ?? 0) > latest.embeddings {
                throw IndexFileError("it has revisions the database does not (an older copy of the database?)")
            }
            return indexes
        } catch {
            logger.warning("search index file not used; rebuilding from the database", metadata: ["file": "\(path)", "reason": "\(error)"])
            return nil
        }
    }

    static func readIndexes(path: String, store: String, model: String, dimension: Int) throws -> Indexes {
        let file = try IndexFileReader(path: path)
        let header = try IndexFileHeader(reading: file)
        let expected = (SearchEngine.indexFileLayout, store, model, dimension)
        guard (header.layout, header.store, header.model, header.dimension) == expected else {
            throw IndexFileError(
                "written for \(header.layout), store \(header.store), model “\(header.model)” (\(header.dimension) dimensions); this is \(expected.0), store \(store), model “\(model)” (\(dimension))"
            )
        }
        var indexes = Indexes(dense: DenseIndex(dimension: dimension))
        indexes.position = header.position
        indexes.embeddingPosition = header.embeddingPosition
        indexes.lexical = try LexicalIndex(reading: file)
        indexes.dense = try DenseIndex(reading: file, dimension: dimension)
        indexes.suggester = try Suggester(reading: file)
        let categories = try file.readStrings()
        for (id, name) in categories.enumerated() { indexes.categoryIDs[name] = UInt16(truncatingIfNeeded: id) }
        let days: [Int32] = try file.readArray()
        let categoryCounts: [UInt8] = try file.readArray()
        let paperCategories: [UInt16] = try file.readArray()
        guard days.count == categoryCounts.count, days.count <= indexes.lexical.internalIDLimit,
            categoryCounts.reduce(0, { $0 + Int($1) }) == paperCategories.count,
            paperCategories.allSatisfy({ Int($0) < categories.count })
        else { throw IndexFileError("the filter fields are damaged") }
        try file.finish()
        var start = 0
        indexes.lexicalFields.reserveCapacity(days.count)
        for (day, count) in zip(days, categoryCounts) {
            let end = start + Int(count)
            indexes.lexicalFields.append(
                PaperFields(publishedDay: day, categories: indexes.interned(Array(paperCategories[start..<end])))
            )
            start = end
        }
        indexes.rebuildDenseFields()
        return indexes
    }

    /// Writes the index as it stands to `path` (atomically: a temporary file renamed into
    /// place), on a background thread. Returns the positions written.
    @discardableResult
    public func writeIndexFile(to path: String) async throws -> (position: RevisionPosition, embeddingPosition: RevisionPosition?) {
        guard let source = store as? any SearchIndexSource else {
            throw IndexFileError("this store cannot tell which database it is, so its index is not kept in a file")
        }
        let identity = try await source.storeIdentity()
        let indexes = snapshot
        let header = IndexFileHeader(
            store: identity,
            model: embedder?.modelName ?? "",
            dimension: indexes.dense.dimension,
            position: indexes.position,
            embeddingPosition: indexes.embeddingPosition
        )
        let written = await onComputeThread { () -> Result<Void, any Error> in
            Result { try SearchEngine.write(indexes, header: header, to: path) }
        }
        try written.get()
        filePositions.withLock { $0 = FilePositions(indexes) }
        return (header.position, header.embeddingPosition)
    }

    /// Whether the index has loaded papers or embeddings the file does not hold, or trained
    /// its dense clusters since (true when there is no file).
    public var indexFileIsBehind: Bool {
        let indexes = snapshot
        return filePositions.withLock { $0 } != FilePositions(indexes)
    }

    static func write(_ indexes: Indexes, header: IndexFileHeader, to path: String) throws {
        let file = try IndexFileWriter(path: path)
        header.write(to: file)
        indexes.lexical.write(to: file)
        indexes.dense.write(to: file)
        indexes.suggester.write(to: file)
        let categories = indexes.categoryIDs.sorted { $0.value < $1.value }.map(\.key)
        file.write(strings: categories, count: categories.count)
        // By lexical internal id; the dense ones are found again through the papers' ids.
        let fields = indexes.lexicalFields
        file.write(fields.map(\.publishedDay))
        file.write(fields.map { UInt8(min($0.categories.count, Int(UInt8.max))) })
        file.write(fields.flatMap { $0.categories.prefix(Int(UInt8.max)) })
        try file.commit()
    }
}

extension SearchEngine.IndexFileHeader {
    func write(to file: IndexFileWriter) {
        file.write(layout)
        file.write(store)
        file.write(model)
        file.write(UInt64(dimension))
        Self.write(position, to: file)
        file.write(embeddingPosition != nil)
        if let embeddingPosition { Self.write(embeddingPosition, to: file) }
    }

    init(reading file: IndexFileReader) throws {
        layout = try file.read(String.self)
        guard layout == SearchEngine.indexFileLayout else {
            throw IndexFileError("written by another version (\(layout))")
        }
        store = try file.read(String.self)
        model = try file.read(String.self)
        dimension = Int(try file.read(UInt64.self))
        position = try Self.readPosition(file)
        embeddingPosition = try file.read(Bool.self) ? try Self.readPosition(file) : nil
    }

    private static func write(_ position: RevisionPosition, to file: IndexFileWriter) {
        file.write(Int64(position.revision))
        file.write(position.id ?? "")
        file.write(position.id != nil)
    }

    private static func readPosition(_ file: IndexFileReader) throws -> RevisionPosition {
        let revision = Int(try file.read(Int64.self))
        let id = try file.read(String.self)
        return RevisionPosition(revision: revision, id: try file.read(Bool.self) ? id : nil)
    }
}
