import NIOCore
import NIOSSL
import NIOTLS

/// Frames the byte stream into SMTP replies: CRLF-terminated lines `NNN-text` (continued) and
/// `NNN text` (last line), as in RFC 5321 §4.2.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// RFC 5321 allows 512 bytes per reply line; be lenient but never buffer without bound.
    static let maximumLineLength = 4096

    private var code: Int?
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLineLength {
                throw SMTPError.protocolViolation("reply line longer than \(Self.maximumLineLength) bytes")
            }
            return .needMoreData
        }
        let length = lineEnd - buffer.readerIndex
        var line = buffer.readString(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }

        if let reply = try self.consume(line: line) {
            context.fireChannelRead(Self.wrapInboundOut(reply))
        }
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        // Left-over bytes when the decoder is swapped out for STARTTLS would be plaintext that an
        // attacker injected before the TLS handshake (CVE-2011-0411 style): refuse them.
        if !seenEOF && (buffer.readableBytes > 0 || self.code != nil) {
            throw SMTPError.protocolViolation("server sent data after its reply to STARTTLS")
        }
        return .needMoreData
    }

    private mutating func consume(line: String) throws -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)),
            (200...599).contains(code)
        else {
            throw SMTPError.protocolViolation("malformed reply line \(line.debugDescription)")
        }
        if let expected = self.code, expected != code {
            throw SMTPError.protocolViolation("reply code changed from \(expected) to \(code) within one reply")
        }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw SMTPError.protocolViolation("malformed reply line \(line.debugDescription)")
        }
        let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        self.lines.append(text)
        if separator == UInt8(ascii: "-") {
            self.code = code
            return nil
        }
        defer {
            self.code = nil
            self.lines = []
        }
        return SMTPReply(code: code, lines: self.lines)
    }
}

/// One thing to write, and the promise for the reply it is waiting for.
struct SMTPRequest: Sendable {
    /// Bytes to send; empty for the greeting, which the server sends unprompted.
    var bytes: ByteBuffer
    /// Names the request in errors and logs; never contains secrets.
    var label: String
    var timeout: TimeAmount
    var reply: EventLoopPromise<SMTPReply>
}

/// Matches replies to requests in order (one outstanding request at a time: no pipelining), fails
/// the waiting request on timeout, on errors and when the connection closes.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var label: String
        var reply: EventLoopPromise<SMTPReply>
        var timeoutTask: Scheduled<Void>?
    }

    private var pending: [Pending] = []
    private var greeting: SMTPRequest?

    /// The greeting request is registered before the connection exists, so its timeout starts
    /// only once the channel is active.
    init(greeting: SMTPRequest) {
        self.greeting = greeting
    }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting = self.greeting {
            self.greeting = nil
            self.enqueue(greeting, context: context)
        }
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        self.enqueue(request, context: context)
        context.writeAndFlush(Self.wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        guard !self.pending.isEmpty else {
            // A reply nobody asked for, typically `421` before the server hangs up on an idle
            // connection. The dialogue is out of step: the connection cannot be used any more.
            context.close(promise: nil)
            return
        }
        let request = self.pending.removeFirst()
        request.timeoutTask?.cancel()
        request.reply.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.failAll(with: Self.smtpError(from: error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(with: .transient(code: nil, message: "the server closed the connection"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: .transient(code: nil, message: "the connection was torn down"))
    }

    private func enqueue(_ request: SMTPRequest, context: ChannelHandlerContext) {
        let label = request.label
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let loopBoundHandler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timeoutTask = context.eventLoop.scheduleTask(in: request.timeout) {
            loopBoundHandler.value.failAll(
                with: .transient(code: nil, message: "timed out waiting for the reply to \(label)")
            )
            loopBoundContext.value.close(promise: nil)
        }
        self.pending.append(Pending(label: label, reply: request.reply, timeoutTask: timeoutTask))
    }

    private func failAll(with error: SMTPError) {
        if let greeting = self.greeting {
            self.greeting = nil
            greeting.reply.fail(error)
        }
        let pending = self.pending
        self.pending = []
        for request in pending {
            request.timeoutTask?.cancel()
            request.reply.fail(error)
        }
    }

    static func smtpError(from error: Error) -> SMTPError {
        switch error {
        case let error as SMTPError:
            return error
        case let ByteToMessageDecoderError.dataReceivedInErrorState(error, _):
            return smtpError(from: error)
        case let error as IOError:
            return .transient(code: nil, message: "connection error: \(error)")
        case NIOSSLError.uncleanShutdown:
            return .transient(code: nil, message: "the server closed the TLS connection")
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return .tlsFailed(String(describing: error))
        default:
            return .transient(code: nil, message: "connection error: \(error)")
        }
    }
}

/// Completes when NIOSSL reports the handshake done, so that STARTTLS fails with the TLS error
/// (an untrusted certificate, say) rather than with whatever command happens to come next.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            promise.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(SMTPClientHandler.smtpError(from: error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(
            SMTPError.transient(code: nil, message: "the server closed the connection during the TLS handshake")
        )
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(SMTPError.transient(code: nil, message: "the connection was torn down during the TLS handshake"))
    }
}
