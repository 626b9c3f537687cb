/// Why talking to the SMTP server failed, sorted by what the caller should do about it.
///
/// `transient` failures are worth retrying later (the digest keeps the message queued);
/// everything else needs a person: a bad address, a bad password, a misconfigured server.
public enum SMTPError: Error, Equatable, Sendable {
    /// A 4xx reply, a timeout or a dropped connection. `code` is nil when the server never answered.
    case transient(code: Int?, message: String)
    /// A 5xx reply: the server refused this message or recipient for good.
    case permanent(code: Int, message: String)
    /// The server said something that is not SMTP (or not what the protocol allows at this point).
    case protocolViolation(String)
    /// The configuration requires STARTTLS but the server does not offer it.
    case tlsRequiredButUnavailable
    /// The TLS handshake failed: usually an untrusted certificate or a host name mismatch.
    case tlsFailed(String)
    /// The server refused the credentials, or offers no mechanism we can use.
    case authenticationFailed(code: Int?, message: String)

    /// Whether sending the same message again later may succeed.
    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }
}

extension SMTPError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .transient(let code, let message):
            return "SMTP temporary failure\(code.map { " \($0)" } ?? ""): \(message)"
        case .permanent(let code, let message):
            return "SMTP permanent failure \(code): \(message)"
        case .protocolViolation(let message):
            return "SMTP protocol violation: \(message)"
        case .tlsRequiredButUnavailable:
            return "STARTTLS is required by the configuration but the server does not offer it"
        case .tlsFailed(let message):
            return "TLS failed: \(message)"
        case .authenticationFailed(let code, let message):
            return "SMTP authentication failed\(code.map { " \($0)" } ?? ""): \(message)"
        }
    }
}
