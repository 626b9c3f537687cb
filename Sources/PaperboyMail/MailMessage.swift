import Foundation

/// An email address with an optional display name, checked when it is made.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    /// Accepts `local@domain` in ASCII, with no spaces, angle brackets or line breaks
    /// (the SMTP envelope carries it as it is); the display name may be any text without line breaks.
    public init(_ address: String, displayName: String? = nil) throws(MailMessageError) {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = address.unicodeScalars.allSatisfy {
            (0x21...0x7E).contains($0.value) && !"<>()[]\\,;:\"".unicodeScalars.contains($0)
        }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, allowed else {
            throw .invalidAddress(address)
        }
        if let displayName, displayName.contains(where: \.isNewline) {
            throw .lineBreakInHeader(name: "display name", value: displayName)
        }
        self.address = address
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var domain: String { String(address.split(separator: "@").last ?? "") }

    public var description: String {
        displayName.map { "\($0) <\(address)>" } ?? address
    }

    /// The header tokens: the display name (plain, quoted or as encoded-words) and `<address>`.
    func headerTokens() -> [String] {
        guard let displayName else { return [address] }
        let atext = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~ "))
        let name: [String]
        if !MIMEEncoding.isPlainHeaderText(displayName) {
            name = MIMEEncoding.encodedWords(displayName, firstLineRoom: MIMEEncoding.maximumEncodedLineLength - 1)
        } else if displayName.unicodeScalars.allSatisfy(atext.contains) {
            name = displayName.split(separator: " ").map(String.init)
        } else {
            let escaped = displayName.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
            name = ["\"\(escaped)\""]
        }
        return name + ["<\(address)>"]
    }
}

/// A header beyond the ones `MailMessage` writes itself, such as `List-Unsubscribe`.
public struct MailHeader: Sendable, Hashable {
    public let name: String
    public let value: String

    /// The name must be a plain field name, not one `MailMessage` writes itself; the value must
    /// be printable ASCII without line breaks (which would let it inject headers).
    public init(_ name: String, _ value: String) throws(MailMessageError) {
        let validName =
            !name.isEmpty && name.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) && $0 != ":" }
        guard validName else { throw .invalidHeaderName(name) }
        guard !MailMessage.reservedHeaders.contains(name.lowercased()) else { throw .reservedHeader(name) }
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw .lineBreakInHeader(name: name, value: value)
        }
        guard value.unicodeScalars.allSatisfy({ $0 == "\t" || (0x20...0x7E).contains($0.value) }) else {
            throw .nonASCIIHeader(name: name)
        }
        guard name.count + 2 + value.count <= 998 else { throw .headerTooLong(name: name) }
        self.name = name
        self.value = value
    }

    /// `List-Unsubscribe: <https://…>, <mailto:…>` (RFC 2369).
    public static func listUnsubscribe(url: URL, mailto: String? = nil) throws(MailMessageError) -> MailHeader {
        let targets = [url.absoluteString] + (mailto.map { [$0.hasPrefix("mailto:") ? $0 : "mailto:\($0)"] } ?? [])
        return try MailHeader("List-Unsubscribe", targets.map { "<\($0)>" }.joined(separator: ", "))
    }

    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mail clients may then
    /// unsubscribe with one POST to the https URL of `List-Unsubscribe`.
    public static let listUnsubscribeOneClick = try! MailHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
}

public enum MailMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case noRecipients
    case invalidHeaderName(String)
    case reservedHeader(String)
    case lineBreakInHeader(name: String, value: String)
    case nonASCIIHeader(name: String)
    case headerTooLong(name: String)
    case invalidMessageID(String)

    public var description: String {
        switch self {
        case .invalidAddress(let address): return "not a usable email address: \(address.debugDescription)"
        case .noRecipients: return "a message needs at least one recipient"
        case .invalidHeaderName(let name): return "not a header name: \(name.debugDescription)"
        case .reservedHeader(let name): return "\(name) is written by MailMessage itself"
        case .lineBreakInHeader(let name, let value): return "line break in \(name): \(value.debugDescription)"
        case .nonASCIIHeader(let name): return "\(name) must be ASCII"
        case .headerTooLong(let name): return "\(name) is longer than 998 characters"
        case .invalidMessageID(let id): return "not a Message-ID: \(id.debugDescription)"
        }
    }
}

/// A text email with an optional HTML alternative, validated when it is made, so that
/// `render()` cannot fail.
public struct MailMessage: Sendable {
    static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding",
    ]

    public let from: MailAddress
    public let recipients: [MailAddress]
    public let subject: String
    public let textBody: String
    public let htmlBody: String?
    public let date: Date
    /// With angle brackets: `<random@domain-of-from>`.
    public let messageID: String
    public let extraHeaders: [MailHeader]

    /// - Parameters:
    ///   - date: pass the injected clock's now.
    ///   - messageID: generated as `<UUID@domain of from>` when nil. Callers that want ids
    ///     from their own (injected, seedable) randomness pass one; the digest and the
    ///     confirmation emails do, so this module needs no random source of its own.
    public init(
        from: MailAddress,
        to recipients: [MailAddress],
        subject: String,
        text: String,
        html: String? = nil,
        date: Date,
        messageID: String? = nil,
        headers: [MailHeader] = []
    ) throws(MailMessageError) {
        guard !recipients.isEmpty else { throw .noRecipients }
        guard !subject.contains(where: \.isNewline) else { throw .lineBreakInHeader(name: "Subject", value: subject) }
        let id = messageID ?? "<\(UUID().uuidString.lowercased())@\(from.domain)>"
        let idIsValid =
            id.hasPrefix("<") && id.hasSuffix(">") && id.contains("@")
            && id.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) } && id.count < 250
        guard idIsValid else { throw .invalidMessageID(id) }
        self.from = from
        self.recipients = recipients
        self.subject = subject
        self.textBody = text
        self.htmlBody = html
        self.date = date
        self.messageID = id
        self.extraHeaders = headers
    }

    /// The whole message, headers and body, with CRLF line endings and lines of at most 78
    /// characters (longer only for an extra header value without spaces).
    public func render() -> String {
        var lines = [
            "Date: \(MIMEEncoding.rfc5322Date(date))",
            MIMEEncoding.foldedHeader(name: "From", tokens: from.headerTokens()),
            MIMEEncoding.foldedHeader(name: "To", tokens: addressListTokens(recipients)),
            subjectHeader(),
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
        ]
        for header in extraHeaders {
            lines.append(Self.unstructuredHeader(name: header.name, value: header.value))
        }
        if let htmlBody {
            let boundary = self.boundary
            lines.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(type: "text/plain", body: textBody))
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(type: "text/html", body: htmlBody))
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: Self.part(type: "text/plain", body: textBody))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `=_` cannot occur in quoted-printable text, so the boundary can never clash with a body.
    /// It is derived from the Message-ID so that `render()` is deterministic.
    private var boundary: String {
        let alphanumerics = messageID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }
        return "=_paperboy_" + String(String.UnicodeScalarView(alphanumerics.prefix(40)))
    }

    private static func part(type: String, body: String) -> [String] {
        [
            "Content-Type: \(type); charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIMEEncoding.quotedPrintable(body),
        ]
    }

    private func subjectHeader() -> String {
        if MIMEEncoding.isPlainHeaderText(subject) {
            return Self.unstructuredHeader(name: "Subject", value: subject)
        }
        let words = MIMEEncoding.encodedWords(
            subject,
            firstLineRoom: MIMEEncoding.maximumEncodedLineLength - "Subject: ".count
        )
        return MIMEEncoding.foldedHeader(name: "Subject", tokens: words)
    }

    /// Kept exactly as given when it fits on one line; otherwise folded at spaces.
    private static func unstructuredHeader(name: String, value: String) -> String {
        guard name.count + 2 + value.count > MIMEEncoding.maximumEncodedLineLength else { return "\(name): \(value)" }
        return MIMEEncoding.foldedHeader(name: name, tokens: value.split(separator: " ").map(String.init))
    }

    private func addressListTokens(_ addresses: [MailAddress]) -> [String] {
        var tokens: [String] = []
        for (index, address) in addresses.enumerated() {
            var addressTokens = address.headerTokens()
            if index < addresses.count - 1 { addressTokens[addressTokens.count - 1] += "," }
            tokens += addressTokens
        }
        return tokens
    }
}
