import Foundation
import PaperboyCore
import PaperboyStore
import Testing

@Suite struct DigestStoreTests {
    let day = FeedDay("2024-05-28")!
    let now = Date(timeIntervalSince1970: 1_716_883_200)

    @Test(arguments: StoreBackend.allCases)
    func subscribingIsDoubleOptInAndOnePerAddressWhateverItsCase(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let first = try await store.subscribe(email: "Ada@Example.org", userID: nil, now: now)
        #expect(first.state == .pending)
        #expect(first.confirmationSentAt == nil, "the confirmation is owed")
        try await store.markConfirmationSent(subscriberID: first.id, at: now)
        #expect(try await store.subscribersOwedConfirmation(limit: 10).isEmpty)

        let again = try await store.subscribe(email: "ada@example.ORG", userID: nil, now: now)
        #expect(again.id == first.id)
        #expect(again.state == .pending)
        #expect(again.confirmationSentAt != nil, "a pending address is not owed a second confirmation")

        #expect(try await store.confirm(subscriberID: first.id, now: now))
        #expect(try await store.confirm(subscriberID: first.id, now: now) == false, "only pending addresses confirm")
        #expect(try await store.subscribe(email: "ADA@example.org", userID: nil, now: now).state == .confirmed)

        #expect(try await store.unsubscribe(subscriberID: first.id))
        #expect(try await store.subscriber(email: "ada@example.org")?.state == .unsubscribed)
        let back = try await store.subscribe(email: "ada@example.org", userID: nil, now: now)
        #expect(back.state == .pending, "coming back needs a new confirmation")
        #expect(back.confirmationSentAt == nil)
        #expect(try await store.subscribersOwedConfirmation(limit: 10).map(\.id) == [first.id])
        #expect(back.email == "Ada@Example.org", "the address keeps the case it was first given")
    }

    @Test(arguments: StoreBackend.allCases)
    func aSubscriptionIsFoundByItsAccountOrElseByItsAddress(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let ada = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "h")
        let bob = try await store.createUser(email: "bob@example.org", name: "bob", passwordHash: "h")
        let linked = try await store.subscribe(email: "digest@example.org", userID: ada.id, now: now)
        #expect(linked.userID == ada.id)
        #expect(try await store.subscribe(email: "DIGEST@example.org", userID: bob.id, now: now).userID == ada.id, "the first account keeps it")
        #expect(try await store.subscriber(forUser: ada.id, email: "ada@example.org")?.id == linked.id)
        let byAddress = try await store.subscribe(email: "bob@example.org", userID: nil, now: now)
        #expect(try await store.subscriber(forUser: bob.id, email: "Bob@example.org")?.id == byAddress.id)
        #expect(try await store.subscriber(forUser: bob.id, email: "nobody@example.org") == nil)

        try await store.markConfirmationSent(subscriberID: linked.id, at: now)
        #expect(try await store.subscriber(id: linked.id)?.confirmationSentAt != nil)
        try await store.markConfirmationSent(subscriberID: linked.id, at: nil)
        #expect(try await store.subscribersOwedConfirmation(limit: 10).map(\.id) == [linked.id, byAddress.id], "owed again")
    }

    @Test(arguments: StoreBackend.allCases)
    func importMarksAddressesConfirmedAndCountsWhatChanged(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.subscribe(email: "pending@example.org", userID: nil, now: now)
        let result = try await store.importConfirmedSubscribers(
            ["new@example.org", "PENDING@example.org", "other@example.org"],
            now: now
        )
        #expect(result.added == 2)
        #expect(result.confirmed == 1)
        let again = try await store.importConfirmedSubscribers(["new@example.org"], now: now)
        #expect(again.added == 0 && again.confirmed == 0)
        let all = try await store.subscribers(after: nil, limit: 10)
        #expect(all.map(\.email) == ["pending@example.org", "new@example.org", "other@example.org"])
        #expect(all.allSatisfy { $0.state == .confirmed })
        #expect(try await store.subscriberCounts() == [.confirmed: 3])
    }

    @Test(arguments: StoreBackend.allCases)
    func theDeliveryLogEnqueuesConfirmedReadersOnceAndRemembersSentPapers(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org"], now: now)
        _ = try await store.subscribe(email: "pending@example.org", userID: nil, now: now)
        #expect(try await store.enqueueDigest(date: day, now: now) == 2)
        #expect(try await store.enqueueDigest(date: day, now: now) == 0, "enqueueing again adds nothing")

        let due = try await store.dueDeliveries(date: day, now: now, limit: 10)
        #expect(due.map(\.email) == ["a@example.org", "b@example.org"])
        #expect(due.allSatisfy { $0.state == .pending && $0.messageID == nil })

        let a = due[0].subscriberID
        let b = due[1].subscriberID
        try await store.markComposed(
            [
                DigestComposition(subscriberID: a, messageID: "<1@x>", paperIDs: ["2405.1", "2405.2"], pickIDs: ["2405.9"]),
                DigestComposition(subscriberID: b, messageID: "<2@x>", paperIDs: ["2405.1"], pickIDs: []),
            ],
            date: day,
            now: now
        )
        let composed = try await store.dueDeliveries(date: day, now: now, limit: 10)
        #expect(composed.map(\.state) == [.sending, .sending], "composed deliveries stay due until sent")
        #expect(composed[0].messageID == "<1@x>")
        #expect(composed[0].paperIDs == ["2405.1", "2405.2"])
        #expect(composed[0].pickIDs == ["2405.9"])

        try await store.markSent(subscriberID: a, date: day, now: now)
        #expect(try await store.dueDeliveries(date: day, now: now, limit: 10).map(\.subscriberID) == [b])
        let sent = try await store.sentPaperIDs(subscriberIDs: [a, b])
        #expect(sent[a] == ["2405.1", "2405.2", "2405.9"])
        #expect(sent[b] == nil)
        #expect(try await store.deliveryCounts(date: day) == [.sent: 1, .sending: 1])
    }

    @Test(arguments: StoreBackend.allCases)
    func retriesComeDueLaterAndRefusalsDisableTheAddress(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importConfirmedSubscribers(["a@example.org"], now: now)
        _ = try await store.enqueueDigest(date: day, now: now)
        let id = try #require(try await store.dueDeliveries(date: day, now: now, limit: 1).first).subscriberID

        try await store.markRetry(subscriberID: id, date: day, error: "451", nextAttempt: now + 60, now: now)
        #expect(try await store.dueDeliveries(date: day, now: now + 59, limit: 1).isEmpty)
        #expect(try await store.nextRetry(date: day) == now + 60)
        let retry = try #require(try await store.dueDeliveries(date: day, now: now + 60, limit: 1).first)
        #expect(retry.state == .retry)
        #expect(retry.attempts == 1)
        #expect(retry.lastError == "451")

        #expect(try await store.markFailed(subscriberID: id, date: day, error: "550", permanent: true, disableAfter: 2, now: now) == false)
        #expect(try await store.subscriber(id: id)?.permanentFailures == 1)
        let next = day.adding(days: 1)
        _ = try await store.enqueueDigest(date: next, now: now)
        #expect(try await store.markFailed(subscriberID: id, date: next, error: "550 again", permanent: true, disableAfter: 2, now: now))
        let disabled = try #require(try await store.subscriber(id: id))
        #expect(disabled.state == .disabled)
        #expect(disabled.lastError == "550 again")
        #expect(try await store.enqueueDigest(date: day.adding(days: 2), now: now) == 0, "disabled addresses get nothing")
    }

    @Test(arguments: StoreBackend.allCases)
    func readersWhoLeaveAfterBeingEnqueuedAreSkipped(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org"], now: now)
        _ = try await store.enqueueDigest(date: day, now: now)
        let a = try #require(try await store.subscriber(email: "a@example.org"))
        _ = try await store.unsubscribe(subscriberID: a.id)
        #expect(try await store.dueDeliveries(date: day, now: now, limit: 10).map(\.email) == ["b@example.org"])
        _ = try await store.enqueueDigest(date: day, now: now)
        #expect(try await store.deliveries(date: day).map(\.state) == [.skipped, .pending])
    }

    @Test(arguments: StoreBackend.allCases)
    func aLeaseHasOneHolderUntilItExpiresOrIsReleased(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        #expect(try await store.acquireLease(name: "digest", holder: "A", until: now + 60, now: now, stealFrom: nil) == "A")
        #expect(try await store.acquireLease(name: "digest", holder: "B", until: now + 60, now: now + 1, stealFrom: nil) == "A")
        #expect(try await store.acquireLease(name: "digest", holder: "A", until: now + 90, now: now + 30, stealFrom: nil) == "A", "renewal")
        #expect(
            try await store.acquireLease(name: "digest", holder: "B", until: now + 200, now: now + 61, stealFrom: nil) == "A",
            "renewed until +90"
        )
        #expect(try await store.acquireLease(name: "digest", holder: "B", until: now + 200, now: now + 91, stealFrom: nil) == "B", "expired")
        #expect(
            try await store.acquireLease(name: "digest", holder: "C", until: now + 300, now: now + 92, stealFrom: "B") == "C",
            "taken from a dead holder"
        )
        try await store.releaseLease(name: "digest", holder: "B")
        #expect(
            try await store.acquireLease(name: "digest", holder: "D", until: now + 300, now: now + 93, stealFrom: nil) == "C",
            "only the holder releases"
        )
        try await store.releaseLease(name: "digest", holder: "C")
        #expect(try await store.acquireLease(name: "digest", holder: "D", until: now + 300, now: now + 93, stealFrom: nil) == "D")
    }

    @Test(arguments: StoreBackend.allCases)
    func theInstanceSecretIsMadeOnceAndKept(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore()
        defer { cleanUp() }
        let first = try await store.instanceSecret(named: "k")
        #expect(first.count == 64)
        #expect(try await store.instanceSecret(named: "k") == first)
        #expect(try await store.instanceSecret(named: "other") != first)
    }
}
