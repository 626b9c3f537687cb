import Testing

@testable import PaperboyMail

@Suite("SMTP wire details")
struct SMTPProtocolTests {
    private func encoded(_ text: String) -> String {
        let buffer = SMTPDataEncoding.encode(text)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    @Test func dotStuffingDoublesLeadingDots() {
        #expect(encoded(".a\r\n..b\r\nc.d\r\n.\r\n") == "..a\r\n...b\r\nc.d\r\n..\r\n.\r\n")
    }

    @Test func bareLFAndBareCRBecomeCRLF() {
        #expect(encoded("a\nb\rc\r\nd\n\n") == "a\r\nb\r\nc\r\nd\r\n\r\n.\r\n")
    }

    @Test func dotAfterBareLFIsStuffedToo() {
        #expect(encoded("a\n.b") == "a\r\n..b\r\n.\r\n")
    }

    @Test func missingFinalLineBreakIsAdded() {
        #expect(encoded("last line") == "last line\r\n.\r\n")
        #expect(encoded("") == ".\r\n")
    }

    @Test func ehloExtensionsAreParsed() {
        let reply = SMTPReply(
            code: 250,
            lines: [
                "mail.example.org greets you", "PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN login",
                "AUTH=CRAM-MD5", "8BITMIME",
            ]
        )
        let extensions = SMTPExtensions(ehloReply: reply)
        #expect(extensions.startTLS)
        #expect(extensions.pipelining)
        #expect(extensions.eightBitMIME)
        #expect(extensions.maximumSize == 10_240_000)
        #expect(extensions.authMechanisms == ["PLAIN", "LOGIN", "CRAM-MD5"])
    }

    @Test func greetingLineIsNotAnExtension() {
        let extensions = SMTPExtensions(ehloReply: SMTPReply(code: 250, lines: ["STARTTLS.example.org"]))
        #expect(!extensions.startTLS)
    }

    @Test(arguments: [(421, true), (451, true), (550, false), (554, false)])
    func replyCodesMapToErrorKinds(code: Int, transient: Bool) {
        let error = SMTPReply(code: code, lines: ["nope"]).error(after: "MAIL FROM:<a@b.c>")
        #expect(error.isTransient == transient)
        #expect("\(error)".contains("MAIL FROM"))
    }
}
