import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct CollectionStoreTests {
    @Test(arguments: StoreBackend.allCases)
    func papersAreAddedMovedNotedAndRemovedWithDensePositions(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12))
        defer { cleanUp() }
        let ids = ["2405.00001", "2405.00002", "2405.00003", "2405.00004"]
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: ids.map { entry($0, day: "2024-05-27", upvotes: 1) })
        let ada = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        let list = try await store.createCollection(owner: ada.id, name: "Reading", description: "For the week", isPublic: false)
        #expect(list.ownerName == "ada")
        #expect(list.paperCount == 0)
        #expect(list.createdAt == "2024-05-28T12:00:00Z")
        for id in ids { #expect(try await store.addPaper(id, toCollection: list.id, note: id == "2405.00002" ? "key result" : nil)) }
        #expect(try await store.addPaper("2405.00001", toCollection: list.id, note: nil) == false, "once per collection")
        await #expect(throws: CollectionError.unknownPaper) { try await store.addPaper("2405.99999", toCollection: list.id, note: nil) }
        await #expect(throws: CollectionError.unknownCollection) { try await store.addPaper("2405.00001", toCollection: 999, note: nil) }

        func order() async throws -> [String] { try await store.items(ofCollection: list.id).map(\.paper.id) }
        #expect(try await order() == ids)
        #expect(try await store.items(ofCollection: list.id).map(\.position) == [0, 1, 2, 3])
        #expect(try await store.items(ofCollection: list.id)[1].note == "key result")

        #expect(try await store.movePaper("2405.00004", inCollection: list.id, to: 0))
        #expect(try await order() == ["2405.00004", "2405.00001", "2405.00002", "2405.00003"])
        #expect(try await store.movePaper("2405.00004", inCollection: list.id, to: 99), "clamped to the end")
        #expect(try await order() == ["2405.00001", "2405.00002", "2405.00003", "2405.00004"])
        #expect(try await store.movePaper("2405.00001", inCollection: list.id, to: 2))
        #expect(try await order() == ["2405.00002", "2405.00003", "2405.00001", "2405.00004"])
        #expect(try await store.movePaper("2405.99999", inCollection: list.id, to: 0) == false)

        #expect(try await store.removePaper("2405.00003", fromCollection: list.id))
        #expect(try await store.removePaper("2405.00003", fromCollection: list.id) == false)
        #expect(try await store.items(ofCollection: list.id).map(\.position) == [0, 1, 2], "positions stay dense")
        #expect(try await store.setNote("revisit", onPaper: "2405.00004", inCollection: list.id))
        #expect(try await store.setNote(nil, onPaper: "2405.00002", inCollection: list.id))
        #expect(try await store.items(ofCollection: list.id).map(\.note) == [nil, nil, "revisit"])
        #expect(try await store.collection(id: list.id)?.paperCount == 3)
        #expect(try await store.collectionIDs(of: ada.id, containing: "2405.00001") == [list.id])
        #expect(try await store.collectionIDs(of: ada.id, containing: "2405.00003") == [])
    }

    @Test(arguments: StoreBackend.allCases)
    func visibilityNamesAndDeletion(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let ada = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        let secret = try await store.createCollection(owner: ada.id, name: "Secret", description: "", isPublic: false)
        let shared = try await store.createCollection(owner: ada.id, name: "Shared", description: "", isPublic: true)
        #expect(try await store.collections(of: ada.id, includingPrivate: false).map(\.id) == [shared.id])
        #expect(Set(try await store.collections(of: ada.id, includingPrivate: true).map(\.id)) == [secret.id, shared.id])

        #expect(try await store.updateCollection(id: secret.id, name: "No longer secret", description: nil, isPublic: true))
        let renamed = try #require(try await store.collection(id: secret.id))
        #expect(renamed.name == "No longer secret")
        #expect(renamed.isPublic)
        #expect(try await store.updateCollection(id: 999, name: "x", description: nil, isPublic: nil) == false)

        _ = try await store.addPaper("2405.00001", toCollection: shared.id, note: "n")
        #expect(try await store.deleteCollection(id: shared.id))
        #expect(try await store.collection(id: shared.id) == nil)
        #expect(try await store.items(ofCollection: shared.id).isEmpty, "its items went with it")
        #expect(try await store.paper(id: "2405.00001") != nil, "the paper stays")
        #expect(try await store.deleteCollection(id: shared.id) == false)
    }
}
