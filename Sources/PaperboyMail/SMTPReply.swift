/// One SMTP reply: a three-digit code and its text lines (several for `250-…` multi-line replies).
public struct SMTPReply: Equatable, Sendable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }

    /// The text lines joined, for error messages and logs.
    public var text: String { lines.joined(separator: " ") }

    /// The error this reply means when it was not the one expected after `command`.
    func error(after command: String) -> SMTPError {
        let message = "\(command): \(code) \(text)"
        switch code {
        case 400..<500: return .transient(code: code, message: message)
        case 500..<600: return .permanent(code: code, message: message)
        default: return .protocolViolation("unexpected reply to \(message)")
        }
    }
}

/// The extensions a server announced in its EHLO reply.
public struct SMTPExtensions: Equatable, Sendable {
    public var startTLS = false
    public var authMechanisms: Set<String> = []
    public var maximumSize: Int?
    public var eightBitMIME = false
    public var pipelining = false

    public init() {}

    /// Parses the lines after the greeting line of a `250` EHLO reply.
    public init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            let parameters = words.dropFirst()
            switch keyword {
            case "STARTTLS": startTLS = true
            case "AUTH": authMechanisms.formUnion(parameters.map { $0.uppercased() })
            case "SIZE": maximumSize = parameters.first.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            case "8BITMIME": eightBitMIME = true
            case "PIPELINING": pipelining = true
            default:
                // Some old servers still announce `AUTH=LOGIN PLAIN`.
                if keyword.hasPrefix("AUTH=") {
                    authMechanisms.insert(String(keyword.dropFirst(5)))
                    authMechanisms.formUnion(parameters.map { $0.uppercased() })
                }
            }
        }
    }
}
