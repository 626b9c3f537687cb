import Foundation
import PaperboyTestSupport
import Testing

@testable import PaperboyMail

/// End-to-end: SMTPClient against aiosmtpd on loopback, asserting on what the server stored.
@Suite("SMTPClient against a real SMTP server")
struct SMTPClientTests {
    static let fixedDate = Date(timeIntervalSince1970: 1_751_356_800)  // Tue, 01 Jul 2025 08:00:00 UTC
    static let longLine = String(repeating: "Attention is all you need, again and again. ", count: 6)
    static let text =
        "Hello Zoë,\n\n.a line starting with a dot\n.\n..two dots\nbare CR\rand CRLF\r\nthen \(longLine)\n"
    static let html =
        "<p>Hello Zoë — <a href=\"https://paperboy.example/papers/2501.00001?x=1&y=2\">today</a></p>\n"
        + ".\n<p>\(longLine)</p>"

    static func message(_ number: Int, to recipient: String = "reader@example.org") throws -> MailMessage {
        try MailMessage(
            from: MailAddress("digest@paperboy.example", displayName: "Paperboy Digest"),
            to: [MailAddress(recipient, displayName: "Zoë Ålander-Łukasiewicz, PhD")],
            subject: "Your papers №\(number) — Transformers über alles, and a rather long subject line to fold",
            text: text,
            html: html,
            date: fixedDate,
            messageID: "<digest-\(number)@paperboy.example>",
            headers: [
                .listUnsubscribe(
                    url: URL(string: "https://paperboy.example/unsubscribe?token=abc123")!,
                    mailto: "unsubscribe@paperboy.example"
                ),
                .listUnsubscribeOneClick,
            ]
        )
    }

    static func configuration(
        _ server: TestSMTPServer,
        scheme: String = "smtp",
        userInfo: String = "",
        query: String = "?starttls=off",
        tls: SMTPConfiguration.TLSVerification = .full,
        commandTimeout: Duration = .seconds(10)
    ) throws -> SMTPConfiguration {
        try SMTPConfiguration(
            url: "\(scheme)://\(userInfo)127.0.0.1:\(server.port)\(query)",
            tlsVerification: tls,
            timeouts: .init(connect: .seconds(5), command: commandTimeout, data: .seconds(10)),
            heloName: "paperboy.test"
        )
    }

    /// Python's `email` decodes the QP bodies; line endings come back as CRLF.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    @Test func deliversABatchOverOneConnection() async throws {
        try await TestSMTPServer.with { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            for number in 1...3 { try await client.send(try Self.message(number)) }
            await client.close()

            let received = try server.messages()
            #expect(received.count == 3)
            #expect(server.connectionCount == 1)
            #expect(received.map(\.connection) == [1, 1, 1])

            let first = try #require(received.first)
            #expect(first.mailFrom == "digest@paperboy.example")
            #expect(first.rcptTos == ["reader@example.org"])
            #expect(first.heloName == "paperboy.test")
            #expect(first.extendedSmtp)
            #expect(!first.tls)
            #expect(first.defects.isEmpty)

            #expect(
                first.header("Subject")
                    == "Your papers №1 — Transformers über alles, and a rather long subject line to fold"
            )
            #expect(first.header("From") == "Paperboy Digest <digest@paperboy.example>")
            #expect(first.header("To") == "\"Zoë Ålander-Łukasiewicz, PhD\" <reader@example.org>")
            #expect(first.header("Date") == "Tue, 01 Jul 2025 08:00:00 +0000")
            #expect(first.header("Message-ID") == "<digest-1@paperboy.example>")
            #expect(first.header("MIME-Version") == "1.0")
            #expect(
                first.header("List-Unsubscribe")
                    == "<https://paperboy.example/unsubscribe?token=abc123>, <mailto:unsubscribe@paperboy.example>"
            )
            #expect(first.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")

            #expect(first.contentType == "multipart/alternative")
            #expect(first.parts.map(\.contentType) == ["text/plain", "text/html"])
            for part in first.parts {
                #expect(part.charset == "utf-8")
                #expect(part.transferEncoding == "quoted-printable")
                #expect(part.defects.isEmpty)
            }
            // Dot-stuffed on the wire, un-stuffed by the server: the body arrives whole.
            #expect(Self.normalized(first.parts[0].content) == Self.normalized(Self.text))
            #expect(Self.normalized(first.parts[1].content) == Self.normalized(Self.html))
        }
    }

    @Test func sendsCRLFOnlyAndShortLines() async throws {
        try await TestSMTPServer.with { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            try await client.send(try Self.message(1))
            await client.close()

            let raw = try #require(try server.messages().first).raw
            var previous: UInt8 = 0
            for byte in raw {
                if byte == UInt8(ascii: "\n") { #expect(previous == UInt8(ascii: "\r"), "bare LF") }
                if previous == UInt8(ascii: "\r") { #expect(byte == UInt8(ascii: "\n"), "bare CR") }
                previous = byte
            }
            let lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.filter { $0.utf8.count > 78 })")
            #expect(lines.contains(".a line starting with a dot"))
            #expect(lines.contains("."))
            #expect(lines.contains("..two dots"))
            #expect(raw.allSatisfy { $0 < 0x80 }, "the message is 7-bit")
        }
    }

    @Test(arguments: [("PLAIN", ["--auth-exclude", "LOGIN"]), ("LOGIN", ["--auth-exclude", "PLAIN"])])
    func authenticates(mechanism: String, exclusion: [String]) async throws {
        let password = "p@ss:wörd/%"
        try await TestSMTPServer.with(["--auth-user", "me@paperboy.example", "--auth-password", password] + exclusion) {
            server in
            let userInfo = "me%40paperboy.example:p%40ss%3Aw%C3%B6rd%2F%25@"
            let client = try SMTPClient(configuration: try Self.configuration(server, userInfo: userInfo))
            try await client.send(try Self.message(1))
            try await client.send(try Self.message(2))
            await client.close()

            let received = try server.messages()
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.authenticated && $0.authLogin == "me@paperboy.example" })
            #expect(received.first?.authMechanism == mechanism)
        }
    }

    @Test func reportsWrongPassword() async throws {
        try await TestSMTPServer.with(["--auth-user", "me", "--auth-password", "right"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server, userInfo: "me:wrong@"))
            await #expect {
                try await client.send(try Self.message(1))
            } throws: { error in
                guard case SMTPError.authenticationFailed(code: 535, _) = error else { return false }
                return true
            }
            #expect(try server.messages().isEmpty)
        }
    }

    @Test(arguments: [451, 421])
    func temporaryFailureMidBatchIsTransient(code: Int) async throws {
        try await TestSMTPServer.with(["--fail-from-message", "3", "--fail-code", "\(code)"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            try await client.send(try Self.message(1))
            try await client.send(try Self.message(2))
            await #expect {
                try await client.send(try Self.message(3))
            } throws: { error in
                guard let error = error as? SMTPError, case .transient(code: code, _) = error else { return false }
                return error.isTransient
            }
            await client.close()
            #expect(
                try server.messages().map { $0.header("Message-ID") } == [
                    "<digest-1@paperboy.example>", "<digest-2@paperboy.example>",
                ]
            )
        }
    }

    @Test func rejectedRecipientIsPermanentAndTheConnectionGoesOn() async throws {
        try await TestSMTPServer.with(["--reject-recipient", "gone@example.org"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            await #expect(throws: SMTPError.self) {
                do {
                    try await client.send(try Self.message(1, to: "gone@example.org"))
                } catch let error as SMTPError {
                    guard case .permanent(code: 550, _) = error else {
                        Issue.record("got \(error)")
                        return
                    }
                    throw error
                }
            }
            try await client.send(try Self.message(2))
            await client.close()

            let received = try server.messages()
            #expect(received.map(\.rcptTos) == [["reader@example.org"]])
            #expect(server.connectionCount == 1)
        }
    }

    @Test func aConnectionDroppedDuringAMessageIsTransientAndTheNextSendReconnects() async throws {
        try await TestSMTPServer.with(["--drop-at-data", "2"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            try await client.send(try Self.message(1))
            await #expect {
                try await client.send(try Self.message(2))
            } throws: { error in
                guard case SMTPError.transient(code: nil, _) = error else { return false }
                return true
            }
            try await client.send(try Self.message(3))
            await client.close()

            let received = try server.messages()
            #expect(
                received.map { $0.header("Message-ID") } == [
                    "<digest-1@paperboy.example>", "<digest-3@paperboy.example>",
                ]
            )
            #expect(received.map(\.connection) == [1, 2])
            #expect(server.connectionCount == 2)
        }
    }

    /// A drop at MAIL FROM on a reused connection means the server saw nothing of the message:
    /// the client says it again on a new connection instead of failing.
    @Test func aConnectionDroppedBeforeAMessageStartsIsRetriedAtOnce() async throws {
        try await TestSMTPServer.with(["--drop-at-message", "2"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            for number in 1...3 { try await client.send(try Self.message(number)) }
            await client.close()

            let received = try server.messages()
            #expect(received.map { $0.header("Message-ID") } == (1...3).map { "<digest-\($0)@paperboy.example>" })
            #expect(received.map(\.connection) == [1, 2, 2])
        }
    }

    @Test func reconnectsWhenTheServerHungUpBetweenMessages() async throws {
        try await TestSMTPServer.with(["--close-after-each-message"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            for number in 1...3 { try await client.send(try Self.message(number)) }
            await client.close()

            #expect(try server.messages().count == 3)
            #expect(server.connectionCount == 3)
        }
    }

    @Test func fallsBackToHELO() async throws {
        try await TestSMTPServer.with(["--no-ehlo"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server))
            try await client.send(try Self.message(1))
            await client.close()

            let received = try #require(try server.messages().first)
            #expect(!received.extendedSmtp)
            #expect(received.heloName == "paperboy.test")
        }
    }

    @Test func silentServerTimesOut() async throws {
        try await TestSMTPServer.with(["--silent"]) { server in
            let configuration = try Self.configuration(server, commandTimeout: .milliseconds(300))
            let client = try SMTPClient(configuration: configuration)
            await #expect {
                try await client.send(try Self.message(1))
            } throws: { error in
                guard case SMTPError.transient(code: nil, let message) = error else { return false }
                return message.contains("timed out")
            }
        }
    }

    @Test func connectionRefusedIsTransient() async throws {
        // Port 1 on loopback: nothing listens there on a test machine.
        let configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:1?starttls=off")
        let client = try SMTPClient(configuration: configuration)
        await #expect {
            try await client.send(try Self.message(1))
        } throws: { error in
            (error as? SMTPError)?.isTransient == true
        }
    }

    // MARK: TLS

    @Test(arguments: ["?starttls=required", ""])
    func startTLSWithATrustedSelfSignedCertificate(query: String) async throws {
        let (certificate, directory) = try TestCertificate.makeTemporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments =
            certificate.serverArguments + ["--require-starttls", "--auth-user", "me", "--auth-password", "secret"]
        try await TestSMTPServer.with(arguments) { server in
            let configuration = try Self.configuration(
                server,
                userInfo: "me:secret@",
                query: query,
                tls: .trustCertificateFile(certificate.certificatePath)
            )
            let client = try SMTPClient(configuration: configuration)
            try await client.send(try Self.message(1))
            try await client.send(try Self.message(2))
            await client.close()

            let received = try server.messages()
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.tls && $0.authenticated && $0.extendedSmtp })
            #expect(server.connectionCount == 1)
        }
    }

    @Test func startTLSRequiredButNotOffered() async throws {
        try await TestSMTPServer.with { server in
            let configuration = try Self.configuration(server, query: "?starttls=required")
            let client = try SMTPClient(configuration: configuration)
            await #expect(throws: SMTPError.tlsRequiredButUnavailable) {
                try await client.send(try Self.message(1))
            }
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func untrustedCertificateFailsTheHandshake() async throws {
        let (certificate, directory) = try TestCertificate.makeTemporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestSMTPServer.with(certificate.serverArguments + ["--require-starttls"]) { server in
            let client = try SMTPClient(configuration: try Self.configuration(server, query: "?starttls=required"))
            await #expect {
                try await client.send(try Self.message(1))
            } throws: { error in
                guard case SMTPError.tlsFailed = error else { return false }
                return true
            }
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func implicitTLS() async throws {
        let (certificate, directory) = try TestCertificate.makeTemporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestSMTPServer.with(certificate.serverArguments + ["--implicit-tls"]) { server in
            let configuration = try Self.configuration(
                server,
                scheme: "smtps",
                query: "",
                tls: .trustCertificateFile(certificate.certificatePath)
            )
            #expect(configuration.security == .implicitTLS)
            let client = try SMTPClient(configuration: configuration)
            try await client.send(try Self.message(1))
            await client.close()

            let received = try #require(try server.messages().first)
            #expect(received.tls)
            #expect(Self.normalized(received.parts[0].content) == Self.normalized(Self.text))
        }
    }
}
