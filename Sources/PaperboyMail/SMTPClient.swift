import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Sends mail over one reused SMTP connection (RFC 5321): EHLO (HELO for old servers),
/// STARTTLS, AUTH PLAIN or LOGIN, then MAIL/RCPT/DATA per message (RSET after a failed one).
///
/// Calls are serialised: concurrent `send`s queue up rather than interleave on the wire.
/// Call `close()` when the batch is done; the client reconnects on the next `send` if needed.
public actor SMTPClient: MailTransport {
    private struct Session {
        var connection: SMTPConnection
        var extensions: SMTPExtensions
        /// The last transaction ended with the server's 250, so the next can start without RSET.
        var clean = true
    }

    private let configuration: SMTPConfiguration
    private let group: EventLoopGroup
    private let tlsContext: NIOSSLContext?
    private var logger: Logger
    private var session: Session?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Throws when the TLS settings cannot be used (say, an unreadable CA file); never connects.
    public init(
        configuration: SMTPConfiguration,
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "paperboy.mail.smtp")
    ) throws(SMTPConfigurationError) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.tlsContext = configuration.security == .none ? nil : try Self.makeTLSContext(configuration.tlsVerification)
        self.logger = logger
        self.logger[metadataKey: "smtp.server"] = "\(configuration.host):\(configuration.port)"
    }

    /// Delivers one message to all its recipients, reusing the open connection when it is still
    /// good and reconnecting once when it is not. A refused recipient fails the whole message.
    public func send(_ message: MailMessage) async throws {
        await acquire()
        defer { release() }

        let data = SMTPDataEncoding.encode(message.render())
        do {
            try await attempt(message, data: data)
        } catch is StaleConnection {
            // The server hung up while the connection sat idle: nothing of this message reached
            // it, so a second try on a fresh connection is safe.
            logger.debug("the idle connection was closed by the server; reconnecting")
            try await attempt(message, data: data)
        }
    }

    /// The reused connection failed at MAIL FROM, before the server saw any of the message.
    private struct StaleConnection: Error {}

    private func attempt(_ message: MailMessage, data: ByteBuffer) async throws {
        let reused = session != nil
        let session = try await usableSession()
        do {
            try await deliver(message, data: data, over: session, staleIfClosedAtStart: reused)
            self.session?.clean = true
        } catch {
            if error is StaleConnection || Self.connectionIsUnusable(after: error) {
                await session.connection.close()
                self.session = nil
            } else {
                self.session?.clean = false
            }
            throw error
        }
    }

    /// Says QUIT and closes the connection, if one is open.
    public func close() async {
        await acquire()
        defer { release() }
        guard let session else { return }
        self.session = nil
        _ = try? await session.connection.command("QUIT", timeout: configuration.timeouts.command)
        await session.connection.close()
    }

    // MARK: - Session

    /// The open session (after an RSET when the last transaction failed), or a new one.
    private func usableSession() async throws -> Session {
        if let session {
            if session.connection.isActive && session.clean { return session }
            if session.connection.isActive,
                let reply = try? await command("RSET", on: session.connection),
                reply.code == 250
            {
                return session
            }
            logger.debug("the connection is gone; reconnecting")
            await session.connection.close()
            self.session = nil
        }
        let session = try await openSession()
        self.session = session
        return session
    }

    private func openSession() async throws -> Session {
        let connection = try await SMTPConnection.connect(
            to: configuration,
            tlsContext: configuration.security == .implicitTLS ? tlsContext : nil,
            group: group
        )
        logger.debug("connected", metadata: ["smtp.greeting": "\(connection.greeting.text)"])
        do {
            var extensions = try await hello(on: connection)
            if try await startTLSIfWanted(on: connection, extensions: extensions) {
                extensions = try await hello(on: connection)
            }
            if let credentials = configuration.credentials {
                try await authenticate(credentials, on: connection, offered: extensions.authMechanisms)
            }
            return Session(connection: connection, extensions: extensions)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// EHLO, or HELO when the server does not know EHLO (then no extensions).
    private func hello(on connection: SMTPConnection) async throws -> SMTPExtensions {
        let name = configuration.heloName
        let ehlo = try await command("EHLO \(name)", on: connection)
        if ehlo.code == 250 {
            return SMTPExtensions(ehloReply: ehlo)
        }
        guard (500..<600).contains(ehlo.code) else { throw ehlo.error(after: "EHLO") }
        let helo = try await command("HELO \(name)", on: connection)
        guard helo.code == 250 else { throw helo.error(after: "HELO") }
        return SMTPExtensions()
    }

    /// Returns whether the connection is now encrypted (and so needs a new EHLO).
    private func startTLSIfWanted(on connection: SMTPConnection, extensions: SMTPExtensions) async throws -> Bool {
        let required: Bool
        switch configuration.security {
        case .none, .implicitTLS: return false
        case .startTLSIfAvailable: required = false
        case .startTLSRequired: required = true
        }
        guard extensions.startTLS, let tlsContext else {
            if required { throw SMTPError.tlsRequiredButUnavailable }
            logger.debug("the server does not offer STARTTLS; continuing unencrypted")
            return false
        }
        let reply = try await command("STARTTLS", on: connection)
        guard reply.code == 220 else {
            if required { throw reply.error(after: "STARTTLS") }
            logger.notice("STARTTLS refused; continuing unencrypted", metadata: ["smtp.reply": "\(reply.text)"])
            return false
        }
        try await connection.startTLS(context: tlsContext, host: configuration.host)
        return true
    }

    /// AUTH PLAIN when offered (one round trip), else AUTH LOGIN.
    private func authenticate(
        _ credentials: SMTPConfiguration.Credentials,
        on connection: SMTPConnection,
        offered: Set<String>
    ) async throws {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let reply: SMTPReply
        if offered.contains("PLAIN") {
            let token = base64("\0\(credentials.username)\0\(credentials.password)")
            reply = try await command("AUTH PLAIN \(token)", label: "AUTH PLAIN <credentials>", on: connection)
        } else if offered.contains("LOGIN") {
            let start = try await command("AUTH LOGIN", on: connection)
            try Self.expectChallenge(start)
            let user = try await command(base64(credentials.username), label: "AUTH LOGIN <username>", on: connection)
            try Self.expectChallenge(user)
            reply = try await command(base64(credentials.password), label: "AUTH LOGIN <password>", on: connection)
        } else {
            let list = offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")
            throw SMTPError.authenticationFailed(
                code: nil,
                message: "the server offers no usable AUTH mechanism (PLAIN or LOGIN); it offers: \(list)"
            )
        }
        guard reply.code == 235 else { throw Self.authenticationError(reply) }
        logger.debug("authenticated", metadata: ["smtp.user": "\(credentials.username)"])
    }

    private static func expectChallenge(_ reply: SMTPReply) throws {
        guard reply.code == 334 else { throw authenticationError(reply) }
    }

    private static func authenticationError(_ reply: SMTPReply) -> SMTPError {
        switch reply.code {
        case 400..<500: return .transient(code: reply.code, message: "AUTH: \(reply.text)")
        case 500..<600: return .authenticationFailed(code: reply.code, message: reply.text)
        default: return .protocolViolation("unexpected reply to AUTH: \(reply.code) \(reply.text)")
        }
    }

    // MARK: - Transaction

    private func deliver(
        _ message: MailMessage,
        data: ByteBuffer,
        over session: Session,
        staleIfClosedAtStart: Bool
    )
        async throws
    {
        let connection = session.connection
        if let limit = session.extensions.maximumSize, data.readableBytes > limit {
            throw SMTPError.permanent(
                code: 552,
                message: "the message is \(data.readableBytes) bytes; the server accepts at most \(limit)"
            )
        }
        let size = session.extensions.maximumSize == nil ? "" : " SIZE=\(data.readableBytes)"
        let mailFrom = "MAIL FROM:<\(message.from.address)>\(size)"
        let mail: SMTPReply
        do {
            mail = try await command(mailFrom, on: connection)
        } catch SMTPError.transient(code: nil, _) where staleIfClosedAtStart {
            throw StaleConnection()
        }
        guard mail.code == 250 else { throw mail.error(after: mailFrom) }

        for recipient in message.recipients {
            let rcptTo = "RCPT TO:<\(recipient.address)>"
            let rcpt = try await command(rcptTo, on: connection)
            guard rcpt.code == 250 || rcpt.code == 251 else { throw rcpt.error(after: rcptTo) }
        }

        let start = try await command("DATA", on: connection)
        guard start.code == 354 else { throw start.error(after: "DATA") }
        logger.trace("C: <message data, \(data.readableBytes) bytes>")
        let end = try await connection.request(data, label: "the message data", timeout: configuration.timeouts.data)
        guard end.code == 250 else { throw end.error(after: "end of DATA") }
        logger.debug(
            "message accepted",
            metadata: ["mail.message_id": "\(message.messageID)", "smtp.reply": "\(end.text)"]
        )
    }

    private func command(_ line: String, label: String? = nil, on connection: SMTPConnection) async throws -> SMTPReply {
        logger.trace("C: \(label ?? line)")
        let reply = try await connection.command(line, label: label, timeout: configuration.timeouts.command)
        logger.trace("S: \(reply.code) \(reply.text)")
        return reply
    }

    /// After a timeout, a dropped connection, `421` or garbage the dialogue cannot go on;
    /// after an ordinary 4xx/5xx reply it can (RSET comes before the next message).
    private static func connectionIsUnusable(after error: Error) -> Bool {
        switch error {
        case SMTPError.transient(code: nil, _), SMTPError.transient(code: 421, _): return true
        case SMTPError.permanent, SMTPError.transient: return false
        default: return true
        }
    }

    // MARK: - Serialisation

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the turn straight to the next waiter, so `busy` stays true between them.
    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    // MARK: - TLS

    private static func makeTLSContext(
        _ verification: SMTPConfiguration.TLSVerification
    ) throws(SMTPConfigurationError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            switch verification {
            case .full:
                break
            case .trustCertificateFile(let path):
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            case .none:
                tls.certificateVerification = .none
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .invalidTLSSetting("cannot set up TLS (\(verification)): \(error)")
        }
    }
}

/// The message as it goes after DATA (RFC 5321 §4.5.2): CRLF line endings (bare CR or LF
/// become CRLF), a leading "." doubled, and the terminating CRLF.CRLF.
enum SMTPDataEncoding {
    static func encode(_ text: String) -> ByteBuffer {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 64)
        var atLineStart = true
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == lf && previousWasCR {
                previousWasCR = false
                continue  // the CRLF was already written for the CR
            }
            previousWasCR = byte == cr
            if byte == cr || byte == lf {
                output.append(contentsOf: [cr, lf])
                atLineStart = true
                continue
            }
            if atLineStart && byte == dot { output.append(dot) }
            output.append(byte)
            atLineStart = false
        }
        if !atLineStart { output.append(contentsOf: [cr, lf]) }
        output.append(contentsOf: [dot, cr, lf])
        return ByteBuffer(bytes: output)
    }
}
