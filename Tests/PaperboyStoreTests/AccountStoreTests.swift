import Foundation
import PaperboyCore
import PaperboyStore
import Testing

@Suite struct AccountStoreTests {
    @Test(arguments: StoreBackend.allCases)
    func accountsVotesAndTokensAreDatedByTheInjectedClock(_ backend: StoreBackend) async throws {
        let (store, location, cleanUp) = try await backend.makeLocatedStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12))
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let reader = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        #expect(try await store.upvote(paperID: "2405.00001", by: reader.id))
        let token = try await store.createToken(for: reader.id, name: "cli", tokenHash: "t")
        #expect(try await store.revokeToken(id: token.id, of: reader.id))
        let stamps = try await backend.strings(
            """
            SELECT created_at FROM users UNION ALL SELECT created_at FROM upvotes
            UNION ALL SELECT created_at FROM api_tokens UNION ALL SELECT revoked_at FROM api_tokens
            """,
            in: location
        )
        #expect(stamps == Array(repeating: "2024-05-28T12:00:00Z", count: 4))
    }

    @Test(arguments: StoreBackend.allCases)
    func emailsAndNamesAreUniqueWhateverTheirCase(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let ada = try await store.createUser(email: "Ada@Example.org", name: "ada", passwordHash: "hash")
        await #expect(throws: AccountError.emailTaken) {
            try await store.createUser(email: "ada@example.ORG", name: "other", passwordHash: "h")
        }
        await #expect(throws: AccountError.nameTaken) {
            try await store.createUser(email: "x@example.org", name: "ADA", passwordHash: "h")
        }
        await #expect(throws: AccountError.emailTaken, "both taken: the address is reported") {
            try await store.createUser(email: "ADA@example.org", name: "Ada", passwordHash: "h")
        }
        let found = try #require(try await store.credentials(email: "ADA@example.org"))
        #expect(found.reader == ada)
        #expect(found.passwordHash == "hash")
        #expect(try await store.reader(named: "Ada") == ada)
    }

    @Test(arguments: StoreBackend.allCases)
    func sessionsExpireAndCanBeDeleted(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let reader = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        let now = Date()
        try await store.createSession(tokenHash: "live", readerID: reader.id, csrfToken: "c1", expiresAt: now + 3600, now: now)
        try await store.createSession(tokenHash: "anonymous", readerID: nil, csrfToken: "c2", expiresAt: now + 3600, now: now)
        try await store.createSession(tokenHash: "old", readerID: reader.id, csrfToken: "c3", expiresAt: now + 10, now: now)
        #expect(try await store.session(tokenHash: "live", now: now) == StoredSession(reader: reader, csrfToken: "c1"))
        #expect(try await store.session(tokenHash: "anonymous", now: now)?.reader == nil)
        #expect(try await store.session(tokenHash: "old", now: now + 60) == nil, "expired")
        try await store.deleteSession(tokenHash: "live")
        #expect(try await store.session(tokenHash: "live", now: now) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func aNewPasswordEndsEveryOtherSessionAndANewSessionSweepsExpiredOnes(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let ada = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "old")
        let bob = try await store.createUser(email: "b@example.org", name: "b", passwordHash: "h")
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for (token, reader) in [("here", ada), ("elsewhere", ada), ("bob", bob)] {
            try await store.createSession(tokenHash: token, readerID: reader.id, csrfToken: "c", expiresAt: now + 3600, now: now)
        }
        try await store.changePassword(of: ada.id, to: "new", keepingSession: "here")
        #expect(try await store.passwordHash(of: ada.id) == "new")
        #expect(try await store.session(tokenHash: "here", now: now)?.reader == ada)
        #expect(try await store.session(tokenHash: "elsewhere", now: now) == nil)
        #expect(try await store.session(tokenHash: "bob", now: now)?.reader == bob, "other readers stay logged in")

        try await store.createSession(tokenHash: "later", readerID: nil, csrfToken: "c", expiresAt: now + 7200, now: now + 3601)
        #expect(try await store.session(tokenHash: "here", now: now) == nil, "swept once expired")
        #expect(try await store.session(tokenHash: "later", now: now + 3601) != nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func aTokenNamesItsReaderUntilItsOwnerRevokesIt(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let ada = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        let bob = try await store.createUser(email: "b@example.org", name: "b", passwordHash: "h")
        let first = try await store.createToken(for: ada.id, name: "laptop", tokenHash: "t1")
        let second = try await store.createToken(for: ada.id, name: "ci", tokenHash: "t2")
        #expect(try await store.reader(forTokenHash: "t1") == ada)
        #expect(try await store.reader(forTokenHash: "unknown") == nil)

        #expect(try await store.revokeToken(id: first.id, of: bob.id) == false, "not bob's")
        #expect(try await store.revokeToken(id: first.id, of: ada.id))
        #expect(try await store.revokeToken(id: first.id, of: ada.id) == false, "already revoked")
        #expect(try await store.reader(forTokenHash: "t1") == nil)
        #expect(try await store.reader(forTokenHash: "t2") == ada)
        let tokens = try await store.tokens(of: ada.id)
        #expect(tokens.map(\.name) == ["ci", "laptop"], "newest first")
        #expect(tokens.map(\.revoked) == [false, true])
        #expect(tokens.first == second)
        #expect(try await store.tokens(of: bob.id).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func oneUpvotePerReaderAddedToTheImportedCount(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 10)])
        let ada = try await store.createUser(email: "a@example.org", name: "a", passwordHash: "h")
        let bob = try await store.createUser(email: "b@example.org", name: "b", passwordHash: "h")
        let counter = try await store.changeCounter()

        #expect(try await store.upvote(paperID: "2405.00001", by: ada.id))
        #expect(try await store.upvote(paperID: "2405.00001", by: ada.id) == false, "twice changes nothing")
        #expect(try await store.upvote(paperID: "2405.00001", by: bob.id))
        var paper = try #require(try await store.paper(id: "2405.00001"))
        #expect(paper.upvotes == 10)
        #expect(paper.localUpvotes == 2)
        #expect(paper.totalUpvotes == 12)
        #expect(try await store.changeCounter() > counter, "caches see the vote")

        #expect(try await store.removeUpvote(paperID: "2405.00001", by: ada.id))
        #expect(try await store.removeUpvote(paperID: "2405.00001", by: ada.id) == false)
        paper = try #require(try await store.paper(id: "2405.00001"))
        #expect(paper.totalUpvotes == 11)
        #expect(try await store.upvotedPaperIDs(by: bob.id, among: ["2405.00001", "2405.00002"]) == ["2405.00001"])
        #expect(try await store.upvotedPapers(by: bob.id, limit: 10).map(\.id) == ["2405.00001"])

        // A later capture from the feed keeps the local votes.
        _ = try await store.importFeedDay(FeedDay("2024-05-28")!, entries: [entry("2405.00001", day: "2024-05-28", upvotes: 20)])
        #expect(try await store.paper(id: "2405.00001")?.totalUpvotes == 21)
        await #expect(throws: AccountError.unknownPaper) { try await store.upvote(paperID: "2405.99999", by: ada.id) }
    }
}
