import Foundation
import PaperboyCore
import PaperboyStore

// Not written yet: each conformance moves to its own file as it is written.

enum PostgresPending: Error, CustomStringConvertible {
    case notYet(String)
    var description: String {
        switch self {
        case .notYet(let name): "\(name) is not available on PostgreSQL yet"
        }
    }
}

extension PostgresPaperStore: PaperStore {
    public func importFeedDay(_ day: FeedDay, entries: [DailyEntry]) async throws -> ImportCounts {
        throw PostgresPending.notYet(#function)
    }

    public func importArxivPapers(_ papers: [Paper]) async throws -> ImportCounts {
        throw PostgresPending.notYet(#function)
    }

    public func paper(id: String) async throws -> Paper? {
        throw PostgresPending.notYet(#function)
    }

    public func papers(ids: [String]) async throws -> [Paper] {
        throw PostgresPending.notYet(#function)
    }

    public func featuredDays(of paperID: String) async throws -> [FeedDay] {
        throw PostgresPending.notYet(#function)
    }

    public func feedEntries(_ query: FeedQuery) async throws -> [DailyEntry] {
        throw PostgresPending.notYet(#function)
    }

    public func latestFeedDay() async throws -> FeedDay? {
        throw PostgresPending.notYet(#function)
    }

    public func neighbours(of days: ClosedRange<FeedDay>) async throws -> FeedNeighbours {
        throw PostgresPending.notYet(#function)
    }

    public func papers(after cursor: String?, limit: Int) async throws -> [Paper] {
        throw PostgresPending.notYet(#function)
    }

    public func statistics() async throws -> StoreStatistics {
        throw PostgresPending.notYet(#function)
    }

    public func storageSize() async throws -> Int {
        throw PostgresPending.notYet(#function)
    }

    public func papers(after position: RevisionPosition, limit: Int) async throws -> [RevisedPaper] {
        throw PostgresPending.notYet(#function)
    }

    public func papersWithoutEmbedding(model: String, limit: Int) async throws -> [Paper] {
        throw PostgresPending.notYet(#function)
    }

    public func saveEmbeddings(_ embeddings: [PaperEmbedding], model: String) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func embeddings(model: String, after cursor: String?, limit: Int) async throws -> [PaperEmbedding] {
        throw PostgresPending.notYet(#function)
    }

    public func embeddingCount(model: String) async throws -> Int {
        throw PostgresPending.notYet(#function)
    }

    public func deleteEmbeddings(model: String) async throws {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: SyncStore {
    public func recordSyncedDay(_ day: SyncedDay) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func lastSyncedDay() async throws -> SyncedDay? {
        throw PostgresPending.notYet(#function)
    }

    public func syncedDays(in days: ClosedRange<FeedDay>) async throws -> [SyncedDay] {
        throw PostgresPending.notYet(#function)
    }

    public func harvestCheckpoint(source: String) async throws -> HarvestCheckpoint? {
        throw PostgresPending.notYet(#function)
    }

    public func harvestCheckpoints() async throws -> [HarvestCheckpoint] {
        throw PostgresPending.notYet(#function)
    }

    public func importHarvestPage(_ papers: [Paper], checkpoint: HarvestCheckpoint) async throws -> ImportCounts {
        throw PostgresPending.notYet(#function)
    }

    public func saveHarvestCheckpoint(_ checkpoint: HarvestCheckpoint) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func beginSyncRun(source: String, startedAt: Date) async throws -> Int64 {
        throw PostgresPending.notYet(#function)
    }

    public func finishSyncRun(id: Int64, endedAt: Date, counts: SyncCounts, error: String?, keep: Int) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func setNextSyncRun(source: String, at: Date?) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func syncSourceStates() async throws -> [SyncSourceState] {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: CurationStore {
    public func setAdmin(email: String, _ isAdmin: Bool, by actor: AdminActor) async throws -> RoleChange? {
        throw PostgresPending.notYet(#function)
    }

    public func isAdmin(readerID: Int64) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func admins() async throws -> [Reader] {
        throw PostgresPending.notYet(#function)
    }

    public func setPaperHidden(_ paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        throw PostgresPending.notYet(#function)
    }

    public func setEntryHidden(day: FeedDay, paperID: String, _ hidden: Bool, by actor: AdminActor) async throws -> Bool? {
        throw PostgresPending.notYet(#function)
    }

    public func feature(_ entry: DailyEntry, by actor: AdminActor) async throws -> FeatureOutcome {
        throw PostgresPending.notYet(#function)
    }

    public func curation(of paperID: String) async throws -> PaperCuration? {
        throw PostgresPending.notYet(#function)
    }

    public func recentEntries(limit: Int) async throws -> [CuratedEntry] {
        throw PostgresPending.notYet(#function)
    }

    public func hiddenPapers(limit: Int) async throws -> [Paper] {
        throw PostgresPending.notYet(#function)
    }

    public func recentReaders(limit: Int) async throws -> [ReaderSignUp] {
        throw PostgresPending.notYet(#function)
    }

    public func adminActions(limit: Int) async throws -> [AdminAction] {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: BackupStore {
    public func backup(to path: String) async throws -> BackupReport {
        throw PostgresPending.notYet(#function)
    }
}
