import Foundation
import HummingbirdTesting
import PaperboyApp
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// "Forgot your password": a link by email that works once, for an hour, and ends every session.
@Suite struct PasswordResetTests {
    /// The token of the `/password/reset?token=` link in a text.
    func resetToken(in text: String) throws -> String {
        let start = try #require(text.range(of: "https://papers.example.org/password/reset?token=")).upperBound
        return String(text[start...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != "<" })
    }

    @Test func aResetLinkByEmailSetsANewPasswordOnceAndEndsEverySession() async throws {
        let (mail, transport) = try recordingMail()
        try await TestApp.withApp(mail: mail) { client, _ in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            #expect(try await ada.get("/settings").status == .ok)

            var stranger = Visitor(client: client)
            let form = try await stranger.get("/password/forgot")
            #expect(form.status == .ok)
            let asked = try await stranger.post("/password/forgot", ["csrf": try Visitor.csrf(in: form), "email": "ADA@example.org"])
            #expect(asked.status == .ok)
            #expect(asked.body.contains("If an account has that address"))
            let unknown = try await stranger.post("/password/forgot", ["csrf": try Visitor.csrf(in: form), "email": "nobody@example.org"])
            #expect(unknown.body.contains("If an account has that address"), "the same answer: it does not tell who has an account")

            let sent = await transport.sent
            #expect(sent.count == 1)
            let message = try #require(sent.first)
            #expect(message.recipients.map(\.address) == ["ada@example.org"])
            #expect(message.subject == "Reset your Paperboy password")
            let token = try resetToken(in: message.textBody)
            #expect(message.htmlBody?.contains(token) == true)

            let page = try await stranger.get("/password/reset?token=\(token)")
            #expect(page.status == .ok)
            #expect(page.body.contains("For the account ada."))
            let weak = try await stranger.post("/password/reset", ["csrf": try Visitor.csrf(in: page), "token": token, "password": "short"])
            #expect(weak.status == .badRequest)
            #expect(weak.body.contains("at least 10 characters"))
            let done = try await stranger.post(
                "/password/reset",
                ["csrf": try Visitor.csrf(in: page), "token": token, "password": "a brand new passphrase"]
            )
            #expect(done.status == .ok)
            #expect(done.body.contains("Your password is changed"))

            // Ada's session ended; the old password no longer works, the new one does.
            let settings = try await client.execute(uri: "/settings", method: .get, headers: [.cookie: ada.cookie ?? ""]) { $0.status }
            #expect(settings == .seeOther)
            var later = Visitor(client: client)
            let login = try await later.get("/login")
            let old = try await later.post(
                "/login",
                ["csrf": try Visitor.csrf(in: login), "email": "ada@example.org", "password": "correct horse battery"]
            )
            #expect(old.status == .unauthorized)
            let new = try await later.post(
                "/login",
                ["csrf": try Visitor.csrf(in: login), "email": "ada@example.org", "password": "a brand new passphrase"]
            )
            #expect(new.status == .seeOther)

            // The link works once.
            let again = try await stranger.get("/password/reset?token=\(token)")
            #expect(again.status == .badRequest)
            #expect(again.body.contains("may have been used already"))
            let tampered = try await stranger.get("/password/reset?token=\(token.dropLast(2))xx")
            #expect(tampered.status == .badRequest)
        }
    }

    @Test func aLinkExpiresAfterAnHour() throws {
        let signer = LinkSigner(secret: "test")
        let issued = Date(timeIntervalSince1970: 1_000_000)
        let token = signer.token(.passwordReset, subject: "ada@example.org", binding: "hash-1", expires: issued.addingTimeInterval(3600))
        #expect(LinkSigner.subject(in: token) == "ada@example.org")
        let check = { (binding: String, now: Date) in signer.verify(token, .passwordReset, subject: "ada@example.org", binding: binding, now: now) }
        #expect(check("hash-1", issued.addingTimeInterval(3599)) == .valid)
        #expect(check("hash-1", issued.addingTimeInterval(3601)) == .expired)
        #expect(check("hash-2", issued) == .invalid, "a new password hash ends the link")
        #expect(signer.verify(token, .confirm, subject: "ada@example.org", binding: "hash-1", now: issued) == .invalid, "one purpose only")
    }

    @Test func askingForLinksIsRateLimitedAndWorksWithoutMailToo() async throws {
        let configuration = AppConfiguration(port: 0, bcryptCost: 4, loginRateLimit: .init(name: "login", quota: 3, window: 60))
        try await TestApp.withApp(configuration: configuration) { client in
            var visitor = Visitor(client: client)
            let form = try await visitor.get("/password/forgot")
            #expect(form.body.contains("This server cannot send email"))
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(
                    Int(try await visitor.post("/password/forgot", ["csrf": try Visitor.csrf(in: form), "email": "ada@example.org"]).status.code)
                )
            }
            #expect(statuses == [200, 200, 200, 429])
            #expect(try await client.get("/login").body.contains("href=\"/password/forgot\""))
        }
    }
}
