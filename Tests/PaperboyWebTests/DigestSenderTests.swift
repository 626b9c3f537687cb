import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaperboyCore
import PaperboyMail
import PaperboyStore
import PaperboyStoreFactory
import PaperboyTestSupport
import Synchronization
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// Digest runs: composition, the delivery log, and delivery to a real SMTP server on loopback.
@Suite struct DigestSenderTests {
    static let day = FeedDay("2024-05-28")!
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    /// The production delays (a first retry after 30 s, pauses of up to 30 s): failure tests
    /// run on a test clock that follows every wait, so they still take milliseconds.
    static let policy = DeliveryPolicy(maxAttempts: 4, disableAfter: 1, batchSize: 7)
    /// The sending machine and process, as the lease sees them.
    static let identity = FixedProcessIdentity(hostName: "mail-1", processID: 4242)

    /// A test clock at noon after the fixtures' last day.
    static func testClock() -> TestClock { TestClock(now: TestApp.noonAfterLastDay.now) }

    /// A top-trending paper with a non-ASCII title and markup, to check encodings and escaping.
    static let accented = DailyEntry(
        day: day,
        paper: Paper(
            id: "2405.99998",
            title: "Über <Transformers> & Zoë’s “attention”",
            summary: "Résumé: a < b && c > d. " + String(repeating: "Long abstract text. ", count: 40),
            authors: ["Zoë Ålander", "Łukasz Kaiser"],
            upvotes: 900,
            source: .huggingFace
        ),
        upvotes: 900
    )

    static func sender(
        _ store: any AppStore,
        transports: [any MailTransport],
        engine: SearchEngine? = nil,
        trending: Int = 5,
        policy: DeliveryPolicy = policy,
        clock: any WallClock = testClock(),
        random: any RandomSource = SystemRandomSource(),
        identity: any ProcessIdentity = identity
    ) async throws -> DigestSender {
        let settings = DigestSettings(
            from: try MailAddress("digest@papers.example.org", displayName: "Paperboy"),
            publicURL: "https://papers.example.org",
            trendingCount: trending,
            picksCount: 3
        )
        return try await DigestSender.make(
            store: store,
            engine: engine,
            settings: settings,
            transports: transports,
            policy: policy,
            clock: clock,
            random: random,
            identity: identity,
            logger: logger
        )
    }

    static func paperIDs(in text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).compactMap { word in
            word.hasPrefix("https://papers.example.org/papers/") ? String(word.dropFirst(34)) : nil
        }
    }

    @Test func aPaperIsNeverSentTwiceToTheSameReader() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org", "c@example.org"], now: Date())
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport])

            let first = try await sender.run(date: Self.day)
            #expect(first.sent == 3)
            #expect(first.enqueued == 3)
            #expect(first.states == [.sent: 3])
            let second = try await sender.run(date: Self.day.adding(days: 1))
            #expect(second.sent == 3)
            let again = try await sender.run(date: Self.day.adding(days: 1))
            #expect(again.sent == 0, "a date is sent once")

            let sent = await transport.sent
            #expect(sent.count == 6)
            for reader in ["a@example.org", "b@example.org", "c@example.org"] {
                let mine = sent.filter { $0.recipients.map(\.address) == [reader] }
                #expect(mine.count == 2)
                let papers = mine.map { Self.paperIDs(in: $0.textBody) }
                #expect(papers.allSatisfy { $0.count == 5 })
                #expect(Set(papers[0]).isDisjoint(with: papers[1]), "the second digest has the next trending papers")
            }
            let firstMessage = try #require(sent.first)
            #expect(firstMessage.subject.hasPrefix("Trending papers, May 28, 2024: "))
            #expect(firstMessage.textBody.hasPrefix("Trending papers for May 28, 2024\n\n1. "))
            #expect(firstMessage.htmlBody?.contains("class=\"digest-paper\"") == true)
            #expect(Set(sent.map(\.messageID)).count == 6)
        }
    }

    @Test func readersWithNothingNewAreSkipped() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org"], now: Date())
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport], trending: 50)
            #expect(try await sender.run(date: Self.day).sent == 1)
            let message = try #require(await transport.sent.first)
            #expect(Self.paperIDs(in: message.textBody).count == 28, "every paper of the trending window")
            let next = try await sender.run(date: Self.day.adding(days: 1))
            #expect(next.sent == 0)
            #expect(next.states == [.skipped: 1])
        }
    }

    @Test func readersWithUpvotesGetPicksThatAreNotAlreadyInTheDigest() async throws {
        try await TestApp.withApp(semantic: true) { _, store in
            let engine = SearchEngine(store: store, embedder: try TestApp.embedder.get(), logger: Self.logger)
            _ = try await engine.load()
            let reader = try await store.createUser(email: "ada@example.org", name: "ada", passwordHash: "x")
            let entries = try await store.feedEntries(FeedQuery(days: Self.day.adding(days: -1)...Self.day, order: .upvotes, limit: 100))
            let upvoted = entries.suffix(2).map(\.paper.id)  // the least upvoted: not trending
            for id in upvoted { _ = try await store.upvote(paperID: id, by: reader.id) }
            let ada = try await store.subscribe(email: "ada@example.org", userID: reader.id, now: Date())
            _ = try await store.confirm(subscriberID: ada.id, now: Date())
            _ = try await store.importConfirmedSubscribers(["anonymous@example.org"], now: Date())

            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport], engine: engine)
            #expect(try await sender.run(date: Self.day).sent == 2)
            let sent = await transport.sent
            let adas = try #require(sent.first { $0.recipients[0].address == "ada@example.org" })
            let anonymous = try #require(sent.first { $0.recipients[0].address == "anonymous@example.org" })
            #expect(adas.htmlBody?.contains("Picked for you") == true)
            #expect(anonymous.htmlBody?.contains("Picked for you") == false)
            let adasPapers = Self.paperIDs(in: adas.textBody)
            #expect(adasPapers.count == 8, "5 trending and 3 picks")
            #expect(Set(adasPapers).count == 8, "no paper twice in one digest")
            #expect(Set(adasPapers).isDisjoint(with: upvoted), "not what the reader already upvoted")
            let delivery = try #require(try await store.deliveries(date: Self.day).first { $0.email == "ada@example.org" })
            #expect(delivery.pickIDs.count == 3)
            #expect(try await store.sentPaperIDs(subscriberIDs: [ada.id])[ada.id] == Set(adasPapers))
        }
    }

    @Test func anInterruptedRunResumesWithTheSameMessage() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org"], now: Date())
            // What a run killed between composing and sending leaves behind.
            _ = try await store.enqueueDigest(date: Self.day, now: Date())
            let a = try #require(try await store.subscriber(email: "a@example.org"))
            try await store.markComposed(
                [
                    DigestComposition(
                        subscriberID: a.id,
                        messageID: "<resumed.1@papers.example.org>",
                        paperIDs: ["2405.15574", "2405.15738"],
                        pickIDs: []
                    )
                ],
                date: Self.day,
                now: Date()
            )

            let transport = RecordingMailTransport()
            let report = try await Self.sender(store, transports: [transport]).run(date: Self.day)
            #expect(report.enqueued == 0)
            #expect(report.sent == 2)
            let resumed = try #require(await transport.sent.first { $0.recipients[0].address == "a@example.org" })
            #expect(resumed.messageID == "<resumed.1@papers.example.org>")
            #expect(Self.paperIDs(in: resumed.textBody) == ["2405.15574", "2405.15738"])
        }
    }

    @Test func twoSendersNeverBothSend() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<40).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            let first = RecordingMailTransport()
            let second = RecordingMailTransport()
            let senderA = try await Self.sender(store, transports: [first])
            let senderB = try await Self.sender(store, transports: [second])
            let results = await Self.runConcurrently([senderA, senderB], date: Self.day)
            #expect(results.allSatisfy { $0 == "sent" || $0.hasPrefix("another instance") }, "\(results)")
            let sentByA = await first.sent
            let sentByB = await second.sent
            let all = sentByA + sentByB
            #expect(all.count == 40)
            #expect(Set(all.map { $0.recipients[0].address }) == Set(readers))

            // A lease held by a live instance refuses a run outright.
            let now = Date(timeIntervalSince1970: TestApp.noonAfterLastDay.now)
            _ = try await store.acquireLease(name: "digest", holder: "elsewhere:1:x", until: now + 60, now: now, stealFrom: nil)
            let refusal = await Self.runConcurrently([senderA], date: Self.day.adding(days: 1))
            #expect(refusal == ["\(DigestRunError.leaseHeld(by: "elsewhere:1:x"))"])
        }
    }

    /// Runs the senders at the same time: "sent" for a run that succeeded, else its error.
    static func runConcurrently(_ senders: [DigestSender], date: FeedDay) async -> [String] {
        await withTaskGroup(of: String.self) { group in
            for sender in senders {
                group.addTask {
                    do {
                        _ = try await sender.run(date: date)
                        return "sent"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var results: [String] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    @Test func theLeaseHolderIsNamedAfterTheInjectedHostProcessAndRandomness() async throws {
        try await TestApp.withApp { _, store in
            let sender = try await Self.sender(store, transports: [RecordingMailTransport()], random: SeededRandomSource(seed: 7))
            #expect(sender.holder == "mail-1:4242:" + SeededRandomSource(seed: 7).hex(4))
            let again = try await Self.sender(store, transports: [RecordingMailTransport()], random: SeededRandomSource(seed: 7))
            #expect(again.holder == sender.holder, "the same seed names the same holder")
        }
    }

    @Test func aLeaseLeftByADeadProcessOnThisMachineIsTakenOver() async throws {
        try await TestApp.withApp { _, store in
            let clock = Self.testClock()
            let now = Date(timeIntervalSince1970: clock.now)
            // The identity says pid 77 on mail-1 is gone and pid 78 still runs.
            let identity = FixedProcessIdentity(hostName: "mail-1", processID: 4242, running: [78])
            _ = try await store.importConfirmedSubscribers(["a@example.org"], now: now)
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport], clock: clock, identity: identity)

            for holder in ["mail-1:78:alive", "mail-2:77:elsewhere"] {
                _ = try await store.acquireLease(name: "digest", holder: holder, until: now + 600, now: now, stealFrom: nil)
                let refusal = await Self.runConcurrently([sender], date: Self.day)
                #expect(refusal == ["\(DigestRunError.leaseHeld(by: holder))"], "a live process, or one on another machine")
                try await store.releaseLease(name: "digest", holder: holder)
            }
            #expect(await transport.sent.isEmpty)

            _ = try await store.acquireLease(name: "digest", holder: "mail-1:77:gone", until: now + 600, now: now, stealFrom: nil)
            #expect(try await sender.run(date: Self.day).sent == 1, "the dead process's lease is taken over at once")
        }
    }

    @Test func theServiceSendsOwedConfirmationsAndTheDigestFromItsTimeOn() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org"], now: Date())
            _ = try await store.subscribe(email: "pending@example.org", userID: nil, now: Date())  // confirmation owed
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport])
            let (mail, _) = try recordingMail()
            let subscriptions = SubscriptionService(
                store: store,
                signer: LinkSigner(secret: "k"),
                mail: DigestMail(transport: transport, settings: mail.settings),
                clock: TestApp.noonAfterLastDay,
                logger: Self.logger
            )
            func scheduler(at hour: Int) -> DigestScheduler {
                DigestScheduler(sender: sender, subscriptions: subscriptions, sendAt: hour * 60, clock: TestApp.noonAfterLastDay, logger: Self.logger)
            }

            await scheduler(at: 13).tick()  // 12:00 < 13:00: confirmations only
            var sent = await transport.sent
            #expect(sent.map(\.subject) == ["Confirm your Paperboy digest subscription"])
            #expect(try await store.deliveryCounts(date: Self.day).isEmpty)

            await scheduler(at: 7).tick()
            await scheduler(at: 7).tick()  // the next minute: nothing new
            sent = await transport.sent
            #expect(sent.count == 2)
            #expect(sent.last?.recipients.map(\.address) == ["a@example.org"])
            #expect(sent.last?.subject.hasPrefix("Trending papers, May 28, 2024") == true)
        }
    }

    @Test(.timeLimit(.minutes(1))) func theSchedulerSendsWhenTheClockReachesTheSendTimeAndNotBefore() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org"], now: Date())
            let clock = TestClock(now: Self.day.startTimestamp + 7 * 3600 - 90)  // 06:58:30
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport], clock: clock)
            let subscriptions = SubscriptionService(store: store, signer: LinkSigner(secret: "k"), mail: nil, clock: clock, logger: Self.logger)
            let scheduler = DigestScheduler(sender: sender, subscriptions: subscriptions, sendAt: 7 * 60, clock: clock, logger: Self.logger)
            let running = Task { try await scheduler.run() }

            await clock.sleepers(atLeast: 1)  // the 06:58:30 tick is done; it waits for the next
            #expect(await transport.sent.isEmpty)
            clock.advance(by: .seconds(60))
            await clock.sleepers(atLeast: 1)  // 06:59:30
            #expect(await transport.sent.isEmpty, "a minute before the send time: nothing")
            #expect(try await store.deliveryCounts(date: Self.day).isEmpty)
            clock.advance(by: .seconds(60))
            await clock.sleepers(atLeast: 1)  // 07:00:30
            let sent = await transport.sent
            #expect(sent.map { $0.recipients.map(\.address) } == [["a@example.org"]])
            #expect(sent.first?.subject.hasPrefix("Trending papers, May 28, 2024") == true)
            #expect(sent.first?.date == Date(timeIntervalSince1970: clock.now), "dated by the clock")
            #expect(clock.sleptDurations == [.seconds(60), .seconds(60), .seconds(60)], "one tick a minute")

            running.cancel()
            try await running.value
        }
    }

    /// The Message-IDs of a run on a fresh database, with randomness from `seed`.
    static func messageIDs(seed: UInt64) async throws -> [String] {
        let ids = Mutex<[String]>([])
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org"], now: Date())
            let transport = RecordingMailTransport()
            let sender = try await Self.sender(store, transports: [transport], random: SeededRandomSource(seed: seed))
            _ = try await sender.run(date: Self.day)
            let sent = await transport.sent.map(\.messageID)
            ids.withLock { $0 = sent }
        }
        return ids.withLock { $0 }
    }

    @Test func aSeededRandomSourceMakesMessageIDsRepeatable() async throws {
        let first = try await Self.messageIDs(seed: 11)
        #expect(first.count == 2)
        #expect(first.allSatisfy { $0.hasPrefix("<digest.2024-05-28.") && $0.hasSuffix("@papers.example.org>") })
        #expect(try await Self.messageIDs(seed: 11) == first, "the same seed, the same Message-IDs")
        #expect(try await Self.messageIDs(seed: 12) != first)

        // Confirmation emails take theirs from the same kind of source.
        try await TestApp.withApp { _, store in
            let (mail, _) = try recordingMail()
            let subscriptions = SubscriptionService(
                store: store,
                signer: LinkSigner(secret: "k"),
                mail: mail,
                clock: TestApp.noonAfterLastDay,
                random: SeededRandomSource(seed: 3),
                logger: Self.logger
            )
            let subscriber = Subscriber(id: 1, email: "c@example.org", userID: nil, state: .pending, createdAt: "")
            let confirmation = try subscriptions.confirmationMessage(for: subscriber, settings: mail.settings)
            #expect(confirmation.messageID == "<confirm.\(SeededRandomSource(seed: 3).hex(16))@papers.example.org>")
        }
    }

    @Test func aSlowBatchKeepsItsLeaseSoNoOtherInstanceCanStep() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<8).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            let clock = TestClock(now: 1_716_883_200)
            // Every message takes 50 simulated seconds; the lease lasts 120. At the fifth message
            // another instance tries to take the lease.
            let transport = SlowTransport(clock: clock, secondsPerMessage: 50) { count in
                guard count == 5 else { return nil }
                let now = Date(timeIntervalSince1970: clock.now)
                return try await store.acquireLease(name: "digest", holder: "intruder", until: now + 120, now: now, stealFrom: nil)
            }
            let settings = DigestSettings(
                from: try MailAddress("digest@papers.example.org"),
                publicURL: "https://papers.example.org",
                trendingCount: 5
            )
            let sender = try await DigestSender.make(
                store: store,
                engine: nil,
                settings: settings,
                transports: [transport],
                policy: Self.policy,
                clock: clock,
                identity: Self.identity,
                logger: Self.logger
            )
            #expect(try await sender.run(date: Self.day).sent == 8, "one batch of 7, then one more")
            let intruderSaw = await transport.lookups
            #expect(intruderSaw.count == 1)
            #expect(intruderSaw.first?.contains("intruder") == false, "the lease was renewed during the batch")
        }
    }

    // MARK: - Against a real SMTP server

    static func smtpClients(
        _ server: TestSMTPServer,
        count: Int = 1,
        query: String = "?starttls=off",
        tls: SMTPConfiguration.TLSVerification = .full
    ) throws -> [any MailTransport] {
        let configuration = try SMTPConfiguration(
            url: "smtp://127.0.0.1:\(server.port)\(query)",
            tlsVerification: tls,
            timeouts: .init(connect: .seconds(5), command: .seconds(10), data: .seconds(10)),
            heloName: "paperboy.test"
        )
        return try (0..<count).map { _ in try SMTPClient(configuration: configuration) }
    }

    @Test func theDigestArrivesWithBothBodiesAndAWorkingOneClickUnsubscribe() async throws {
        try await TestApp.withApp(extraEntries: [Self.accented]) { client, store in
            _ = try await store.importConfirmedSubscribers(["ada@example.org", "bob@example.org"], now: Date())
            try await TestSMTPServer.with { server in
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server))
                #expect(try await sender.run(date: Self.day).sent == 2)
                let messages = try server.messages()
                #expect(messages.map(\.rcptTos) == [["ada@example.org"], ["bob@example.org"]])
                let message = messages[0]
                #expect(message.defects.isEmpty)
                #expect(message.header("From") == "Paperboy <digest@papers.example.org>")
                #expect(message.header("To") == "ada@example.org")
                #expect(message.header("Subject") == "Trending papers, May 28, 2024: Über <Transformers> & Zoë’s “attention”")
                #expect(message.rawText.contains("Subject: =?UTF-8?B?"), "RFC 2047 on the wire")
                #expect(message.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
                #expect(message.header("Message-ID")?.hasPrefix("<digest.2024-05-28.") == true)
                #expect(message.contentType == "multipart/alternative")
                #expect(message.parts.map(\.contentType) == ["text/plain", "text/html"])
                #expect(message.parts.allSatisfy { $0.charset == "utf-8" && $0.transferEncoding == "quoted-printable" && $0.defects.isEmpty })
                let text = message.parts[0].content
                #expect(text.contains("1. Über <Transformers> & Zoë’s “attention”"))
                #expect(text.contains("Zoë Ålander, Łukasz Kaiser · 900 upvotes"))
                #expect(text.contains("https://papers.example.org/papers/2405.99998"))
                let html = message.parts[1].content
                #expect(html.contains("Über &lt;Transformers&gt; &amp; Zoë’s “attention”"), "escaped in HTML")
                #expect(!html.contains("<Transformers>"))
                #expect(html.contains("href=\"https://papers.example.org/papers/2405.99998\""))

                // The mail client's one-click POST to the List-Unsubscribe URL.
                let header = try #require(message.header("List-Unsubscribe")).trimmingCharacters(in: .whitespaces)
                #expect(header.hasPrefix("<https://papers.example.org/digest/unsubscribe?token="))
                let path = String(header.dropFirst("<https://papers.example.org".count).dropLast())
                #expect(html.contains("href=\"https://papers.example.org\(path)\""), "the same link in the body")
                let status = try await client.execute(
                    uri: path,
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "List-Unsubscribe=One-Click")
                ) { $0.status }
                #expect(status == .ok)
                #expect(try await store.subscriber(email: "ada@example.org")?.state == .unsubscribed)
                #expect(try await sender.run(date: Self.day.adding(days: 1)).sent == 1, "only bob now")
                #expect(try server.messages().last?.rcptTos == ["bob@example.org"])
            }
        }
    }

    /// Every reader got exactly one message for the date, and the log says sent.
    static func expectExactlyOnce(_ server: TestSMTPServer, readers: [String], store: any AppStore) async throws {
        let received = try server.messages().map { $0.rcptTos.joined() }
        #expect(received.sorted() == readers.sorted())
        #expect(try await store.deliveryCounts(date: day) == [.sent: readers.count])
    }

    @Test func temporaryRefusalsMidBatchAreRetriedUntilDelivered() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<10).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            try await TestSMTPServer.with(["--fail-from-message", "3", "--fail-count", "3", "--fail-code", "451"]) { server in
                let clock = Self.testClock()
                let started = clock.now
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server), clock: clock)
                let report = try await clock.advancingToEachDeadline { try await sender.run(date: Self.day) }
                #expect(report.sent == 10)
                #expect(clock.now - started >= 30, "the retries waited their 30 s, on the test clock")
                try await Self.expectExactlyOnce(server, readers: readers, store: store)
                let retried = try await store.deliveries(date: Self.day).filter { $0.attempts > 1 }
                #expect(retried.count == 3)
                #expect(server.connectionCount == 1, "451 keeps the connection")
            }
        }
    }

    @Test func a421ClosingTheConnectionIsRetriedOnANewOne() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<6).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            try await TestSMTPServer.with(["--fail-from-message", "2", "--fail-count", "1", "--fail-code", "421"]) { server in
                let clock = Self.testClock()
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server), clock: clock)
                #expect(try await clock.advancingToEachDeadline { try await sender.run(date: Self.day) }.sent == 6)
                try await Self.expectExactlyOnce(server, readers: readers, store: store)
                #expect(server.connectionCount == 2)
            }
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<6).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            try await TestSMTPServer.with(["--drop-at-data", "3"]) { server in
                let clock = Self.testClock()
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server, count: 2), clock: clock)
                #expect(try await clock.advancingToEachDeadline { try await sender.run(date: Self.day) }.sent == 6)
                try await Self.expectExactlyOnce(server, readers: readers, store: store)
                let dropped = try await store.deliveries(date: Self.day).filter { $0.attempts == 2 }
                #expect(dropped.count == 1)
            }
        }
    }

    @Test func aServerThatRequiresSTARTTLSGetsEveryDigestEncrypted() async throws {
        let (certificate, directory) = try TestCertificate.makeTemporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestApp.withApp { _, store in
            let readers = (0..<4).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            try await TestSMTPServer.with(certificate.serverArguments + ["--require-starttls"]) { server in
                let clients = try Self.smtpClients(
                    server,
                    count: 2,
                    query: "?starttls=required",
                    tls: .trustCertificateFile(certificate.certificatePath)
                )
                #expect(try await Self.sender(store, transports: clients).run(date: Self.day).sent == 4)
                try await Self.expectExactlyOnce(server, readers: readers, store: store)
                #expect(try server.messages().allSatisfy(\.tls))
            }
        }
    }

    @Test func aServerThatKeepsFailingStopsTheRunAndTheNextRunResumes() async throws {
        try await TestApp.withApp { _, store in
            let readers = (0..<8).map { "reader\($0)@example.org" }
            _ = try await store.importConfirmedSubscribers(readers, now: Date())
            var policy = Self.policy
            policy.giveUpAfterFailuresInARow = 3
            let clock = Self.testClock()
            try await TestSMTPServer.with(["--fail-from-message", "1", "--fail-code", "451"]) { server in
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server), policy: policy, clock: clock)
                let outcome = await clock.advancingToEachDeadline { await Self.runConcurrently([sender], date: Self.day) }
                #expect(outcome.count == 1 && outcome[0].hasPrefix("the mail server keeps failing (last: SMTP temporary failure 451"), "\(outcome)")
                let counts = try await store.deliveryCounts(date: Self.day)
                #expect(counts[.sent] == nil)
                #expect(counts[.retry] == 3, "it stopped after three failures in a row")
            }
            try await TestSMTPServer.with { server in
                let sender = try await Self.sender(store, transports: try Self.smtpClients(server), policy: policy, clock: clock)
                #expect(try await clock.advancingToEachDeadline { try await sender.run(date: Self.day) }.sent == 8)
                try await Self.expectExactlyOnce(server, readers: readers, store: store)
            }
        }
    }

    @Test func permanentRefusalsAreRecordedAndDisableTheAddress() async throws {
        try await TestApp.withApp { _, store in
            _ = try await store.importConfirmedSubscribers(["good@example.org", "gone@example.org"], now: Date())
            try await TestSMTPServer.with(["--reject-recipient", "gone@example.org"]) { server in
                let report = try await Self.sender(store, transports: try Self.smtpClients(server)).run(date: Self.day)
                #expect(report.sent == 1)
                #expect(report.disabled == 1)
                #expect(report.states == [.sent: 1, .failed: 1])
                let gone = try #require(try await store.subscriber(email: "gone@example.org"))
                #expect(gone.state == .disabled)
                #expect(gone.lastError?.contains("550") == true)
                let failed = try #require(try await store.deliveries(date: Self.day).first { $0.email == "gone@example.org" })
                #expect(failed.state == .failed)
                #expect(failed.attempts == 1, "a permanent refusal is not retried")
                #expect(try server.messages().map(\.rcptTos) == [["good@example.org"]])
            }
        }
    }
}

/// A transport whose every message takes simulated time; `onSend` runs after each one.
actor SlowTransport: MailTransport {
    let clock: TestClock
    let secondsPerMessage: Int
    let onSend: @Sendable (Int) async throws -> String?
    private(set) var count = 0
    private(set) var lookups: [String] = []

    init(clock: TestClock, secondsPerMessage: Int, onSend: @escaping @Sendable (Int) async throws -> String?) {
        self.clock = clock
        self.secondsPerMessage = secondsPerMessage
        self.onSend = onSend
    }

    func send(_ message: MailMessage) async throws {
        clock.advance(by: .seconds(secondsPerMessage))
        count += 1
        if let seen = try await onSend(count) { lookups.append(seen) }
    }

    func close() async {}
}

/// The live identity the lease uses outside tests.
@Suite struct ProcessIdentityTests {
    @Test func theSystemIdentityKnowsThisProcessAndSeesAFinishedOneGone() throws {
        let identity = SystemProcessIdentity()
        #expect(identity.hostName == ProcessInfo.processInfo.hostName)
        #expect(identity.processID == ProcessInfo.processInfo.processIdentifier)
        #expect(identity.isRunning(identity.processID))
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        #expect(!identity.isRunning(finished.processIdentifier))
    }
}
