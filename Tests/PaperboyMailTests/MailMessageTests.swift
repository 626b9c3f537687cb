import Foundation
import Testing

@testable import PaperboyMail

@Suite("MailMessage rendering")
struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_751_356_800)  // Tue, 01 Jul 2025 08:00:00 UTC

    static func message(
        subject: String = "Today's papers",
        fromName: String? = "Paperboy",
        text: String = "Hello\n",
        html: String? = "<p>Hello</p>",
        headers: [MailHeader] = []
    ) throws -> MailMessage {
        try MailMessage(
            from: MailAddress("digest@paperboy.example", displayName: fromName),
            to: [MailAddress("reader@example.org")],
            subject: subject,
            text: text,
            html: html,
            date: date,
            messageID: "<fixed@paperboy.example>",
            headers: headers
        )
    }

    /// The unfolded value of `name` in a rendered message.
    static func header(_ name: String, in rendered: String) -> String? {
        let head = rendered.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        return head.components(separatedBy: "\r\n").first { $0.hasPrefix("\(name): ") }.map {
            String($0.dropFirst(name.count + 2))
        }
    }

    /// Decodes a sequence of `=?UTF-8?B?…?=` words (what a mail client does), independently of the encoder.
    static func decodeEncodedWords(_ value: String) -> String {
        var bytes: [UInt8] = []
        for word in value.split(separator: " ") {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), "not an encoded-word: \(word)")
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            bytes += Data(base64Encoded: String(payload)).map(Array.init) ?? []
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes quoted-printable (RFC 2045 §6.7), independently of the encoder.
    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
                let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func standardHeadersInOrder() throws {
        let rendered = try Self.message().render()
        let head = rendered.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(
            head.prefix(6) == [
                "Date: Tue, 01 Jul 2025 08:00:00 +0000",
                "From: Paperboy <digest@paperboy.example>",
                "To: reader@example.org",
                "Subject: Today's papers",
                "Message-ID: <fixed@paperboy.example>",
                "MIME-Version: 1.0",
            ]
        )
    }

    @Test func renderIsDeterministicAndCRLFOnly() throws {
        let message = try Self.message(text: "a\nb\rc\r\nd")
        let rendered = message.render()
        #expect(rendered == message.render())
        let bytes = Array(rendered.utf8)
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            #expect(index > 0 && bytes[index - 1] == UInt8(ascii: "\r"))
        }
        #expect(rendered.hasSuffix("\r\n"))
    }

    @Test func generatedMessageIDUsesTheSenderDomain() throws {
        let message = try MailMessage(
            from: MailAddress("digest@paperboy.example"),
            to: [MailAddress("reader@example.org")],
            subject: "s",
            text: "t",
            date: Self.date
        )
        #expect(message.messageID.hasPrefix("<"))
        #expect(message.messageID.hasSuffix("@paperboy.example>"))
        #expect(message.messageID.count > 20)
    }

    @Test func multipartAlternativeWithQuotedPrintableParts() throws {
        let rendered = try Self.message(text: "plain\n", html: "<b>html</b>").render()
        let contentType = try #require(Self.header("Content-Type", in: rendered))
        #expect(contentType.hasPrefix("multipart/alternative; boundary=\"=_paperboy_"))
        let boundary = String(contentType.split(separator: "\"")[1])
        #expect(rendered.components(separatedBy: "--\(boundary)\r\n").count == 3)
        #expect(rendered.hasSuffix("--\(boundary)--\r\n"))
        #expect(
            rendered.contains(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nplain\r\n"
            )
        )
        #expect(
            rendered.contains(
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<b>html</b>\r\n"
            )
        )
    }

    @Test func textOnlyMessageIsASinglePart() throws {
        let rendered = try Self.message(html: nil).render()
        #expect(Self.header("Content-Type", in: rendered) == "text/plain; charset=utf-8")
        #expect(!rendered.contains("multipart"))
    }

    @Test func quotedPrintableKeepsLinesShortAndRoundTrips() {
        let text = String(repeating: "Zoë wrote = 100% ", count: 20) + "  \nnext line\t\n"
        let encoded = MIMEEncoding.quotedPrintable(text)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(lines)")
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        #expect(encoded.contains("=3D"))
        #expect(Self.decodeQuotedPrintable(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func quotedPrintableNeverSplitsAnEscape() {
        // 74 ASCII characters then multi-byte characters: the escapes fall on the soft break.
        let text = String(repeating: "x", count: 74) + "ééé"
        let encoded = MIMEEncoding.quotedPrintable(text)
        for line in encoded.components(separatedBy: "\r\n") {
            let withoutSoftBreak = line.hasSuffix("=") ? String(line.dropLast()) : line
            #expect(!withoutSoftBreak.hasSuffix("=") && !withoutSoftBreak.dropLast().hasSuffix("="), "\(line)")
        }
        #expect(Self.decodeQuotedPrintable(encoded) == text)
    }

    @Test func nonASCIISubjectBecomesFoldedEncodedWords() throws {
        let subject = "Ваши статьи на сегодня — Transformers über alles 🚀, diffusion and a long tail of words"
        let rendered = try Self.message(subject: subject).render()
        let head = rendered.components(separatedBy: "\r\n\r\n")[0]
        let subjectLines = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }
            .prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 1)
        #expect(subjectLines.allSatisfy { $0.utf8.count <= 76 }, "\(Array(subjectLines))")
        #expect(Self.decodeEncodedWords(try #require(Self.header("Subject", in: rendered))) == subject)
    }

    @Test func displayNames() throws {
        #expect(
            try MailAddress("a@b.org", displayName: "Ada Lovelace").headerTokens() == ["Ada", "Lovelace", "<a@b.org>"]
        )
        #expect(
            try MailAddress("a@b.org", displayName: "Lovelace, Ada \"AL\"").headerTokens() == [
                "\"Lovelace, Ada \\\"AL\\\"\"", "<a@b.org>",
            ]
        )
        let encoded = try MailAddress("a@b.org", displayName: "Zoë").headerTokens()
        #expect(encoded == ["=?UTF-8?B?Wm/Dqw==?=", "<a@b.org>"])
    }

    @Test func listUnsubscribeHeaders() throws {
        let headers = [
            try MailHeader.listUnsubscribe(
                url: URL(string: "https://paperboy.example/unsubscribe/0123456789abcdef0123456789abcdef")!,
                mailto: "unsubscribe+0123456789abcdef@paperboy.example"
            ),
            MailHeader.listUnsubscribeOneClick,
        ]
        let rendered = try Self.message(headers: headers).render()
        #expect(
            Self.header("List-Unsubscribe", in: rendered)
                == "<https://paperboy.example/unsubscribe/0123456789abcdef0123456789abcdef>, <mailto:unsubscribe+0123456789abcdef@paperboy.example>"
        )
        #expect(Self.header("List-Unsubscribe-Post", in: rendered) == "List-Unsubscribe=One-Click")
        #expect(rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }

    @Test func headerInjectionIsRejected() throws {
        #expect(throws: MailMessageError.self) { try Self.message(subject: "Hi\r\nBcc: victim@example.org") }
        #expect(throws: MailMessageError.self) { try Self.message(subject: "Hi\nBcc: victim@example.org") }
        #expect(throws: MailMessageError.self) { try MailHeader("X-Note", "a\r\nBcc: victim@example.org") }
        #expect(throws: MailMessageError.self) { try MailHeader("X-Note", "a\nb") }
        #expect(throws: MailMessageError.self) { try MailHeader("X-Bad:Name", "a") }
        #expect(throws: MailMessageError.self) { try MailHeader("Bcc", "victim@example.org") }
        #expect(throws: MailMessageError.self) {
            try MailAddress("a@b.org", displayName: "Eve\r\nBcc: victim@example.org")
        }
        #expect(throws: MailMessageError.self) { try MailAddress("a@b.org>\r\nRCPT TO:<victim@example.org") }
    }

    @Test(arguments: [
        "", "no-at-sign", "@example.org", "user@", "a b@example.org", "<a@b.org>", "zoë@example.org", "a@b@c",
    ])
    func badAddressesAreRejected(address: String) {
        #expect(throws: MailMessageError.invalidAddress(address)) { try MailAddress(address) }
    }

    @Test func aMessageNeedsARecipient() {
        #expect(throws: MailMessageError.noRecipients) {
            try MailMessage(from: MailAddress("a@b.org"), to: [], subject: "s", text: "t", date: Self.date)
        }
    }

    @Test func rfc5322Date() {
        #expect(MIMEEncoding.rfc5322Date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(
            MIMEEncoding.rfc5322Date(Date(timeIntervalSince1970: 1_709_251_199)) == "Thu, 29 Feb 2024 23:59:59 +0000"
        )
    }
}
