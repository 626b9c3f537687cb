import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One TCP connection to an SMTP server: send a line, wait for the reply. It knows nothing of
/// the SMTP dialogue beyond the greeting and the STARTTLS switch; `SMTPClient` drives it.
struct SMTPConnection: Sendable {
    private static let decoderName = "smtp-reply-decoder"
    private static let clientHandlerName = "smtp-client"

    let channel: Channel
    let greeting: SMTPReply

    var isActive: Bool { channel.isActive }

    /// Connects (through TLS for `smtps`) and waits for the server's greeting.
    static func connect(
        to configuration: SMTPConfiguration,
        tlsContext: NIOSSLContext?,
        group: EventLoopGroup
    ) async throws -> SMTPConnection {
        let eventLoop = group.next()
        let greetingPromise = eventLoop.makePromise(of: SMTPReply.self)
        let greeting = SMTPRequest(
            bytes: ByteBuffer(),
            label: "the greeting",
            timeout: TimeAmount(configuration.timeouts.command),
            reply: greetingPromise
        )
        let host = configuration.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.timeouts.connect))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(try Self.tlsHandler(context: tlsContext, host: host))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder()), name: Self.decoderName)
                    try pipeline.addHandler(SMTPClientHandler(greeting: greeting), name: Self.clientHandlerName)
                }
            }

        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: configuration.port).get()
        } catch {
            greetingPromise.fail(error)  // ignored when the pipeline teardown already failed it
            throw SMTPError.transient(
                code: nil,
                message: "cannot connect to \(host):\(configuration.port): \(error)"
            )
        }
        do {
            let reply = try await greetingPromise.futureResult.get()
            guard reply.code == 220 else { throw reply.error(after: "the greeting") }
            return SMTPConnection(channel: channel, greeting: reply)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Sends one command line (CRLF is added) and waits for its reply.
    /// `label` replaces the command in errors and logs when the line holds a secret.
    func command(_ line: String, label: String? = nil, timeout: Duration) async throws -> SMTPReply {
        var bytes = channel.allocator.buffer(capacity: line.utf8.count + 2)
        bytes.writeString(line)
        bytes.writeString("\r\n")
        return try await request(bytes, label: label ?? line, timeout: timeout)
    }

    /// Sends prepared bytes (the message data, already dot-stuffed and terminated) and waits for the reply.
    func request(_ bytes: ByteBuffer, label: String, timeout: Duration) async throws -> SMTPReply {
        let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
        let request = SMTPRequest(bytes: bytes, label: label, timeout: TimeAmount(timeout), reply: promise)
        channel.writeAndFlush(request).whenFailure { error in
            // The reply can never come; without this the promise would leak.
            promise.fail(SMTPError.transient(code: nil, message: "cannot send \(label): \(error)"))
        }
        return try await promise.futureResult.get()
    }

    /// Puts TLS under the reply decoder, after the server's `220` to STARTTLS, and waits for the
    /// handshake. The decoder is replaced too, so that no plaintext read before the handshake
    /// survives into the TLS session.
    func startTLS(context: NIOSSLContext, host: String) async throws {
        let channel = self.channel
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        do {
            try await channel.pipeline.removeHandler(name: Self.decoderName).flatMapThrowing {
                // The old decoder refuses bytes read after the 220 and closes the connection.
                guard channel.isActive else {
                    throw SMTPError.protocolViolation("the connection closed while switching to TLS")
                }
                let pipeline = channel.pipeline.syncOperations
                let tls = try Self.tlsHandler(context: context, host: host)
                try pipeline.addHandler(tls, position: .first)
                try pipeline.addHandler(TLSHandshakeWaiter(promise: handshake), position: .after(tls))
                let client = try pipeline.context(name: Self.clientHandlerName)
                try pipeline.addHandler(
                    ByteToMessageHandler(SMTPReplyDecoder()),
                    name: Self.decoderName,
                    position: .before(client.handler)
                )
            }.get()
        } catch {
            handshake.fail(error)
            throw error is SMTPError ? error : SMTPError.transient(code: nil, message: "cannot start TLS: \(error)")
        }
        try await handshake.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }

    /// SNI and host name checks use the host name; for an IP address NIOSSL checks the
    /// certificate's IP SANs against the peer address instead.
    private static func tlsHandler(context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isIPAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : host)
    }
}
