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

extension PostgresPaperStore: ReaderStore {
    public func createUser(email: String, name: String, passwordHash: String) async throws -> Reader {
        throw PostgresPending.notYet(#function)
    }

    public func credentials(email: String) async throws -> (reader: Reader, passwordHash: String)? {
        throw PostgresPending.notYet(#function)
    }

    public func reader(named name: String) async throws -> Reader? {
        throw PostgresPending.notYet(#function)
    }

    public func changePassword(of readerID: Int64, to passwordHash: String, keepingSession tokenHash: String) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func passwordHash(of readerID: Int64) async throws -> String? {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: SessionStore {
    public func createSession(tokenHash: String, readerID: Int64?, csrfToken: String, expiresAt: Date, now: Date) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func session(tokenHash: String, now: Date) async throws -> StoredSession? {
        throw PostgresPending.notYet(#function)
    }

    public func deleteSession(tokenHash: String) async throws {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: VoteStore {
    public func upvote(paperID: String, by readerID: Int64) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func removeUpvote(paperID: String, by readerID: Int64) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func upvotedPaperIDs(by readerID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        throw PostgresPending.notYet(#function)
    }

    public func upvotedPapers(by readerID: Int64, limit: Int) async throws -> [Paper] {
        throw PostgresPending.notYet(#function)
    }

    public func localUpvoteCount() async throws -> Int {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: APITokenStore {
    public func createToken(for readerID: Int64, name: String, tokenHash: String) async throws -> APIToken {
        throw PostgresPending.notYet(#function)
    }

    public func tokens(of readerID: Int64) async throws -> [APIToken] {
        throw PostgresPending.notYet(#function)
    }

    public func revokeToken(id: Int64, of readerID: Int64) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func reader(forTokenHash tokenHash: String) async throws -> Reader? {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: SubscriberStore {
    public func subscribe(email: String, userID: Int64?, now: Date) async throws -> Subscriber {
        throw PostgresPending.notYet(#function)
    }

    public func subscriber(id: Int64) async throws -> Subscriber? {
        throw PostgresPending.notYet(#function)
    }

    public func subscriber(email: String) async throws -> Subscriber? {
        throw PostgresPending.notYet(#function)
    }

    public func subscriber(forUser userID: Int64, email: String) async throws -> Subscriber? {
        throw PostgresPending.notYet(#function)
    }

    public func markConfirmationSent(subscriberID: Int64, at: Date?) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func subscribersOwedConfirmation(limit: Int) async throws -> [Subscriber] {
        throw PostgresPending.notYet(#function)
    }

    public func confirm(subscriberID: Int64, now: Date) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func unsubscribe(subscriberID: Int64) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func importConfirmedSubscribers(_ emails: [String], now: Date) async throws -> (added: Int, confirmed: Int) {
        throw PostgresPending.notYet(#function)
    }

    public func subscribers(after cursor: Int64?, limit: Int) async throws -> [Subscriber] {
        throw PostgresPending.notYet(#function)
    }

    public func subscriberCounts() async throws -> [SubscriberState: Int] {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: DeliveryStore {
    public func enqueueDigest(date: FeedDay, now: Date) async throws -> Int {
        throw PostgresPending.notYet(#function)
    }

    public func dueDeliveries(date: FeedDay, now: Date, limit: Int) async throws -> [DigestDelivery] {
        throw PostgresPending.notYet(#function)
    }

    public func nextRetry(date: FeedDay) async throws -> Date? {
        throw PostgresPending.notYet(#function)
    }

    public func sentPaperIDs(subscriberIDs: [Int64]) async throws -> [Int64: Set<String>] {
        throw PostgresPending.notYet(#function)
    }

    public func markComposed(_ compositions: [DigestComposition], date: FeedDay, now: Date) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func markSent(subscriberID: Int64, date: FeedDay, now: Date) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func markSkipped(subscriberID: Int64, date: FeedDay, reason: String, now: Date) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func markRetry(subscriberID: Int64, date: FeedDay, error: String, nextAttempt: Date, now: Date) async throws {
        throw PostgresPending.notYet(#function)
    }

    public func markFailed(subscriberID: Int64, date: FeedDay, error: String, permanent: Bool, disableAfter: Int, now: Date) async throws -> Bool {
        throw PostgresPending.notYet(#function)
    }

    public func deliveryCounts(date: FeedDay) async throws -> [DeliveryState: Int] {
        throw PostgresPending.notYet(#function)
    }

    public func deliveries(date: FeedDay) async throws -> [DigestDelivery] {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: LeaseStore {
    public func acquireLease(name: String, holder: String, until: Date, now: Date, stealFrom: String?) async throws -> String {
        throw PostgresPending.notYet(#function)
    }

    public func releaseLease(name: String, holder: String) async throws {
        throw PostgresPending.notYet(#function)
    }
}

extension PostgresPaperStore: SecretStore {
    public func instanceSecret(named name: String) async throws -> String {
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
