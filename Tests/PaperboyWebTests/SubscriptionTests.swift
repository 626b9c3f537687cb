import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyMail
import PaperboyStore
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// Mail that goes to a `RecordingMailTransport`, with links to papers.example.org.
func recordingMail() throws -> (DigestMail, RecordingMailTransport) {
    let transport = RecordingMailTransport()
    let settings = DigestSettings(
        from: try MailAddress("digest@papers.example.org", displayName: "Paperboy"),
        publicURL: "https://papers.example.org",
        trendingCount: 5
    )
    return (DigestMail(transport: transport, settings: settings), transport)
}

/// The token of the first `.../digest/PATH?token=` link in a text.
func linkToken(_ path: String, in text: String) throws -> String {
    let marker = "/digest/\(path)?token="
    let start = try #require(text.range(of: marker)).upperBound
    return String(text[start...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != ">" && $0 != "<" })
}

@Suite struct SubscriptionTests {
    @Test func theFooterFormSubscribesAndTheEmailedLinkConfirms() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            var visitor = Visitor(client: client)
            let home = try await visitor.get("/")
            let csrf = try Visitor.csrf(in: home)
            for path in ["/", "/papers/trending", "/papers/2405.17247", "/search?q=vision", "/login", "/digest/preview", "/papers/date/2020-01-01"] {
                let page = try await client.get(path)
                #expect(page.body.contains("<form class=\"subscribe\" method=\"post\" action=\"/digest/subscribe\">"), "\(path)")
                #expect(page.body.contains("name=\"csrf\" value=\"\(csrf)\""), "\(path): the form token")
            }

            let done = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": " Grace@Example.org "])
            #expect(done.status == .ok)
            #expect(done.body.contains("Check your inbox"))
            #expect(try await store.subscriber(email: "grace@example.org")?.state == .pending)

            let sent = await transport.sent
            #expect(sent.count == 1)
            let confirmation = try #require(sent.first)
            #expect(confirmation.recipients.map(\.address) == ["Grace@Example.org"])
            #expect(confirmation.subject == "Confirm your Paperboy digest subscription")
            #expect(confirmation.textBody.contains("https://papers.example.org/digest/confirm?token="))
            #expect(confirmation.htmlBody?.contains("https://papers.example.org/digest/confirm?token=") == true)
            #expect(try await store.subscriber(email: "grace@example.org")?.confirmationSentAt != nil)

            let token = try linkToken("confirm", in: confirmation.textBody)
            let confirmed = try await visitor.get("/digest/confirm?token=\(token)")
            #expect(confirmed.status == .ok)
            #expect(confirmed.body.contains("You are subscribed"))
            #expect(try await store.subscriber(email: "grace@example.org")?.state == .confirmed)
            let twice = try await visitor.get("/digest/confirm?token=\(token)")
            #expect(twice.status == .ok, "following the link again is harmless")

            // Subscribing a confirmed address again says exactly the same and sends nothing.
            let again = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "grace@example.org"])
            let other = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "grace@example.org"])
            #expect(again.status == .ok)
            #expect(again.body.contains("Check your inbox"))
            #expect(again.body == other.body)
            #expect(await transport.sent.count == 1)
        }
    }

    @Test func aPendingAddressGetsOneConfirmationPerTenMinutes() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            var visitor = Visitor(client: client)
            let csrf = try Visitor.csrf(in: try await visitor.get("/"))
            for _ in 0..<3 {
                #expect(try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "x@example.org"]).status == .ok)
            }
            #expect(await transport.sent.count == 1)
            #expect(try await store.subscribers(after: nil, limit: 10).count == 1)
        }
    }

    @Test func forgedOrCrossSiteSubscribeFormsAreRefused() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            var visitor = Visitor(client: client)
            let csrf = try Visitor.csrf(in: try await visitor.get("/"))
            #expect(try await visitor.post("/digest/subscribe", ["csrf": "forged", "email": "a@example.org"]).status == .forbidden)
            #expect(try await visitor.post("/digest/subscribe", ["email": "a@example.org"]).status == .forbidden)
            for (name, value) in [("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Referer", "https://evil.example/x")] {
                let status = try await client.execute(
                    uri: "/digest/subscribe",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name(name)!: value],
                    body: ByteBuffer(string: "csrf=\(csrf)&email=a%40example.org")
                ) { $0.status }
                #expect(status == .forbidden, "\(name): \(value)")
            }
            // Without any of the browser's origin headers the README's rule holds too.
            let anonymous = try await client.execute(
                uri: "/digest/subscribe",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(csrf)&email=a%40example.org")
            ) { $0.status }
            #expect(anonymous == .forbidden, "no Origin, Referer or Sec-Fetch-Site")
            let sameSite = try await client.execute(
                uri: "/digest/subscribe",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"],
                body: ByteBuffer(string: "csrf=\(csrf)&email=a%40example.org")
            ) { $0.status }
            #expect(sameSite == .ok)
            #expect(await transport.sent.count == 1)
            #expect(try await store.subscribers(after: nil, limit: 10).map(\.email) == ["a@example.org"])
        }
    }

    @Test func badAddressesGetAClearMessage() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, _ in
            var visitor = Visitor(client: client)
            let csrf = try Visitor.csrf(in: try await visitor.get("/"))
            for email in ["", "not-an-address", "a@b", "<script>@x.org", "a b@example.org", String(repeating: "a", count: 300) + "@example.org"] {
                let page = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": email])
                #expect(page.status == .badRequest, "\(email)")
                #expect(page.body.contains("error-message"))
                #expect(!page.body.contains("<script>@"), "escaped")
            }
            #expect(await transport.sent.isEmpty)
        }
    }

    @Test func confirmationLinksExpireAndCannotBeForged() async throws {
        let (mail, _) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            let ada = try await store.subscribe(email: "ada@example.org", userID: nil, now: Date())
            let bob = try await store.subscribe(email: "bob@example.org", userID: nil, now: Date())
            let signer = LinkSigner(secret: try await store.instanceSecret(named: LinkSigner.secretName))
            let now = Date(timeIntervalSince1970: TestApp.noonAfterLastDay.now)

            let expired = signer.token(.confirm, for: ada, expires: now - 1)
            let page = try await client.get("/digest/confirm?token=\(expired)")
            #expect(page.status == .badRequest)
            #expect(page.body.contains("expired"))

            let valid = signer.token(.confirm, for: ada, expires: now + 3600)
            let tampered = String(valid.dropLast()) + (valid.hasSuffix("A") ? "B" : "A")
            let otherReader = "\(bob.id)" + valid.drop { $0 != "." }
            let unsubscribeToken = signer.token(.unsubscribe, for: ada)
            for token in [tampered, otherReader, unsubscribeToken, "", "1.2", "x.y.z", String(repeating: "9", count: 200)] {
                #expect(try await client.get("/digest/confirm?token=\(token)").status == .badRequest, "\(token)")
            }
            #expect(try await store.subscriber(id: ada.id)?.state == .pending)
            #expect(try await store.subscriber(id: bob.id)?.state == .pending)
            #expect(try await client.get("/digest/confirm?token=\(valid)").status == .ok)
            #expect(try await store.subscriber(id: ada.id)?.state == .confirmed)
        }
    }

    @Test func oneClickUnsubscribeNeedsOnlyTheSignedLink() async throws {
        let (mail, _) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            _ = try await store.importConfirmedSubscribers(["ada@example.org"], now: Date())
            let ada = try #require(try await store.subscriber(email: "ada@example.org"))
            let token = LinkSigner(secret: try await store.instanceSecret(named: LinkSigner.secretName))
                .token(.unsubscribe, for: ada)

            // A GET (what link scanners do) only shows the button.
            let page = try await client.get("/digest/unsubscribe?token=\(token)")
            #expect(page.status == .ok)
            #expect(page.body.contains("<form method=\"post\" action=\"/digest/unsubscribe\""))
            #expect(try await store.subscriber(id: ada.id)?.state == .confirmed)

            let forged = try await client.execute(
                uri: "/digest/unsubscribe?token=\(token.dropLast())",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click")
            ) { $0.status }
            #expect(forged == .badRequest)
            #expect(try await store.subscriber(id: ada.id)?.state == .confirmed)

            // RFC 8058: one POST, no cookie, no CSRF token.
            let oneClick = try await client.execute(
                uri: "/digest/unsubscribe?token=\(token)",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click")
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(oneClick.0 == .ok)
            #expect(oneClick.1.contains("You are unsubscribed"))
            #expect(try await store.subscriber(id: ada.id)?.state == .unsubscribed)
            #expect(try await store.enqueueDigest(date: FeedDay("2024-05-28")!, now: Date()) == 0)
        }
    }

    @Test func readersSubscribeAndLeaveFromTheirSettings() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, store in
            var visitor = Visitor(client: client)
            _ = try await visitor.signUp()
            let settings = try await visitor.get("/settings")
            #expect(settings.body.contains("Daily digest"))
            let csrf = try Visitor.csrf(in: settings)
            #expect(try await visitor.post("/settings/digest", ["csrf": "wrong", "action": "subscribe"]).status == .forbidden)
            let subscribed = try await visitor.post("/settings/digest", ["csrf": csrf, "action": "subscribe"])
            #expect(subscribed.status == .seeOther)
            #expect(try await visitor.get("/settings").body.contains("Waiting for your confirmation"))

            let subscriber = try #require(try await store.subscriber(email: "ada@example.org"))
            #expect(subscriber.userID == (try await store.reader(named: "ada"))?.id, "linked to the account for picks")
            let confirmation = try #require(await transport.sent.first)
            #expect(confirmation.recipients.map(\.address) == ["ada@example.org"])
            _ = try await visitor.get("/digest/confirm?token=\(try linkToken("confirm", in: confirmation.textBody))")
            #expect(try await visitor.get("/settings").body.contains("You get the daily digest"))

            _ = try await visitor.post("/settings/digest", ["csrf": csrf, "action": "unsubscribe"])
            #expect(try await store.subscriber(id: subscriber.id)?.state == .unsubscribed)
            #expect(try await visitor.get("/settings").body.contains("in your inbox at ada@example.org once a day"))
        }
    }

    @Test func withoutAMailServerSubscriptionsAreKeptAndTheConfirmationIsOwed() async throws {
        try await TestApp.withApp(mail: nil) { client, store in
            var visitor = Visitor(client: client)
            let csrf = try Visitor.csrf(in: try await visitor.get("/"))
            let page = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "a@example.org"])
            #expect(page.status == .ok)
            #expect(page.body.contains("cannot send email yet"))
            #expect(try await store.subscribersOwedConfirmation(limit: 10).map(\.email) == ["a@example.org"])
        }
    }

    @Test func subscribeRequestsAreRateLimitedPerAddress() async throws {
        let (mail, _) = try recordingMail()
        var configuration = AppConfiguration(port: 0, bcryptCost: 4)
        configuration.subscribeRateLimit = .init(name: "subscribe", quota: 2, window: 600)
        try await TestApp.withApp(configuration: configuration, mail: mail) { client, _ in
            var visitor = Visitor(client: client)
            let csrf = try Visitor.csrf(in: try await visitor.get("/"))
            #expect(try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "a@example.org"]).status == .ok)
            #expect(try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "b@example.org"]).status == .ok)
            let limited = try await visitor.post("/digest/subscribe", ["csrf": csrf, "email": "c@example.org"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    @Test func healthReportsSubscribersAndTodaysDeliveries() async throws {
        let (mail, _) = try recordingMail()
        var configuration = AppConfiguration(port: 0, bcryptCost: 4)
        configuration.digestSendAt = 7 * 60
        try await TestApp.withApp(configuration: configuration, mail: mail) { client, store in
            _ = try await store.importConfirmedSubscribers(["a@example.org", "b@example.org"], now: Date())
            _ = try await store.subscribe(email: "c@example.org", userID: nil, now: Date())
            _ = try await store.enqueueDigest(date: FeedDay("2024-05-28")!, now: Date())
            let health = try #require(try json(try await client.get("/healthz").body) as? [String: Any])
            let digest = try #require(health["digest"] as? [String: Any])
            #expect(digest["mail"] as? Bool == true)
            #expect(digest["sendsAtUTC"] as? String == "07:00")
            let subscribers = try #require(digest["subscribers"] as? [String: Int])
            #expect(subscribers == ["confirmed": 2, "pending": 1, "unsubscribed": 0, "disabled": 0])
            let today = try #require(digest["today"] as? [String: Any])
            #expect(today["date"] as? String == "2024-05-28")
            #expect((today["deliveries"] as? [String: Int])?["pending"] == 2)
        }
    }

    @Test func thePreviewShowsTodaysDigest() async throws {
        try await TestApp.withApp(mail: nil) { client, store in
            // Comments count as everywhere: Hugging Face's 3 on 2405.17247 plus one here.
            let reader = try await store.createUser(email: "c@example.org", name: "commenter", passwordHash: "h")
            _ = try await store.addComment(paperID: "2405.17247", parentID: nil, by: reader.id, body: "Nice")
            let page = try await client.get("/digest/preview")
            #expect(page.status == .ok)
            #expect(page.body.contains("Trending papers"))
            #expect(page.body.contains("class=\"digest-paper\""))
            #expect(!page.body.contains("Unsubscribe</a>"), "a preview has no unsubscribe link")
            let text = try await client.get("/digest/preview?format=text")
            #expect(text.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(text.body.hasPrefix("Trending papers for May 28, 2024"))
            #expect(text.body.contains("1. "))
            #expect(text.body.contains("33 upvotes · 4 comments"), "2405.17247: upvotes, then captured plus local comments")
            #expect(page.body.contains("▲ 33 · 4 comments"))
            #expect(try await client.get("/digest/preview?date=yesterday").status == .badRequest)
        }
    }

    /// Months after the newest feed day (a feed that stopped syncing, or the demo data), a
    /// logged-in reader's preview still has the picks /papers/for-you shows, and the plain-text
    /// preview links to full addresses even without --public-url.
    @Test func aLoggedInPreviewHasThePicksForYouHasAndAbsoluteLinks() async throws {
        try await TestApp.withApp(clock: FixedClock(FeedDay("2024-09-01")!, hour: 12), semantic: true, mail: nil) { client, _ in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let page = try await ada.get("/papers/2405.17247")
            _ = try await ada.post("/papers/2405.17247/upvote", ["csrf": try Visitor.csrf(in: page), "action": "add"])
            let forYou = try await ada.get("/papers/for-you").body
            #expect(forYou.contains("<h2><a href=\"/papers/2405.17399\">"))
            let preview = try await ada.get("/digest/preview").body
            #expect(preview.contains("Picked for you"))
            let text = try await ada.get("/digest/preview?format=text").body
            #expect(text.contains("Picked for you, from the papers you upvoted"))
            let links = text.split(whereSeparator: \.isWhitespace).filter { $0.contains("/papers/") }
            #expect(!links.isEmpty)
            #expect(links.allSatisfy { $0.hasPrefix("http://") || $0.hasPrefix("https://") }, "\(links)")
        }
    }

    @Test func aLoggedInReaderIsNotAskedForTheirEmailAgain() async throws {
        try await TestApp.withApp(mail: nil) { client, _ in
            #expect(try await client.get("/").body.contains("name=\"email\""), "visitors get the footer form")
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let home = try await ada.get("/").body
            #expect(!home.contains("<form class=\"subscribe\""))
            #expect(home.contains("href=\"/settings#digest\""))
            // Subscribing from the settings with no mail server says what happens instead.
            let settings = try await ada.get("/settings")
            _ = try await ada.post("/settings/digest", ["csrf": try Visitor.csrf(in: settings), "action": "subscribe"])
            let after = try await ada.get("/settings").body
            #expect(after.contains("This server cannot send email yet"))
            #expect(!after.contains("follow the link we emailed"))
        }
    }
}
