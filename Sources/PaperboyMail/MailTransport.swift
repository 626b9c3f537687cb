/// What the digest needs from mail delivery: the live implementation is `SMTPClient`; tests of
/// code that sends mail can inject `RecordingMailTransport` instead.
public protocol MailTransport: Sendable {
    /// Delivers one message; throws `SMTPError` (check `isTransient` to decide on a retry).
    func send(_ message: MailMessage) async throws
    /// Ends the session politely; the transport may be used again afterwards.
    func close() async
}

/// Keeps every message it is given, for tests of code that sends mail.
public actor RecordingMailTransport: MailTransport {
    public private(set) var sent: [MailMessage] = []

    public init() {}

    public func send(_ message: MailMessage) async throws {
        sent.append(message)
    }

    public func close() async {}
}
