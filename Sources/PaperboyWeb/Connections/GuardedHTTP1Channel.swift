import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// How long a connection may take for each part of a request, and how many may be open.
///
/// Hummingbird's own idle timeout is refreshed by every body chunk and never sees a request
/// whose headers have not arrived, so a client sending a byte every few seconds ("slowloris")
/// held a connection for ever; 1,100 of them used up the server's file descriptors.
public struct ConnectionLimits: Sendable, Equatable {
    /// From the first byte of a request to the end of its headers.
    public var headerTimeout: TimeAmount
    /// From the end of the headers to the end of the body.
    public var bodyTimeout: TimeAmount
    /// A keep-alive connection with no request in progress.
    public var idleTimeout: TimeAmount
    /// Open connections kept before the oldest one that is not being answered is closed to
    /// make room; connections being answered are never closed for a newcomer.
    public var maximumConnections: Int

    public init(
        headerTimeout: TimeAmount = .seconds(5),
        bodyTimeout: TimeAmount = .seconds(30),
        idleTimeout: TimeAmount = .seconds(30),
        maximumConnections: Int = 512
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
    }

    /// Connections accepted at all: room above `maximumConnections` for those being answered,
    /// still well under the usual limit of 1,024 file descriptors.
    var acceptLimit: Int { maximumConnections + max(16, maximumConnections / 4) }
}

/// Hummingbird's HTTP/1.1 channel with request deadlines, a connection cap that evicts the
/// longest-waiting idle or slow connection, and `Connection: close` for HTTP/1.0 requests
/// without keep-alive (Hummingbird's HTTP types drop the version, so it kept them open).
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let registry: ConnectionRegistry

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let deadlines = RequestDeadlineHandler(limits: limits, registry: registry)
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(deadlines)
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false
            )
            try operations.addHandler(RequestProgressHandler(deadlines: deadlines))
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // Hummingbird's handler closes the connection once in-flight requests finish on
            // graceful shutdown; its idle timer is ours now.
            try operations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    static func guardedHTTP1(limits: ConnectionLimits, registry: ConnectionRegistry) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits, registry: registry) }
    }
}

/// Sees the raw bytes, first in the pipeline: the first byte of a request starts its header
/// clock. Keeps one timer for whichever deadline applies now and answers 408 when a request
/// runs out of time.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Reading { case nothing, head, body }

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private var context: ChannelHandlerContext?
    private var reading = Reading.nothing
    /// Requests read in full whose responses have not been written yet.
    private var answering = 0
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.limits = limits
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        registry.opened(context.channel)
        if context.channel.isActive { rearm() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        rearm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        registry.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if reading == .nothing {
            reading = .head
            rearm()
        }
        context.fireChannelRead(data)
    }

    func headReceived() {
        reading = .body
        rearm()
    }

    func requestReceived() {
        reading = .nothing
        answering += 1
        rearm()
    }

    func responseFinished() {
        answering = max(0, answering - 1)
        rearm()
    }

    /// Replaces the timer with the one for the current state, and tells the registry whether
    /// this connection may be closed to make room.
    private func rearm() {
        guard let context else { return }
        timer?.cancel()
        timer = nil
        // While a request is being answered, nothing on this connection is waited for: a
        // pipelined next request is read only afterwards, so its clock starts then.
        let timeout: TimeAmount?
        switch (reading, answering) {
        case (_, 1...): timeout = nil
        case (.head, _): timeout = limits.headerTimeout
        case (.body, _): timeout = limits.bodyTimeout
        case (.nothing, _): timeout = limits.idleTimeout
        }
        registry.setEvictable(context.channel, answering == 0)
        guard let timeout else { return }
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(in: timeout) { [weak self] in self?.expire() }
    }

    private func expire() {
        guard let context else { return }
        timer = nil
        if reading != .nothing, answering == 0 {
            // Nothing else is being written on this connection, so a 408 cannot interleave.
            let answer = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer)), promise: nil)
        }
        context.close(promise: nil)
    }
}

/// Sits between the HTTP/1 codec and the conversion to HTTP types: reports request progress
/// to the deadline handler and marks HTTP/1.0 requests without keep-alive `Connection: close`,
/// which Hummingbird honours by closing after the response.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let deadlines: RequestDeadlineHandler
    /// Closing responses owed, in request order.
    private var closeAfter: [Bool] = []

    init(deadlines: RequestDeadlineHandler) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            deadlines.headReceived()
            let close = !head.isKeepAlive
            closeAfter.append(close)
            if close, head.version.major == 1, head.version.minor == 0, !head.headers.contains(name: "connection") {
                head.headers.add(name: "Connection", value: "close")
                context.fireChannelRead(wrapInboundOut(.head(head)))
                return
            }
        case .body:
            break
        case .end:
            deadlines.requestReceived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeAfter.first == true && !head.headers.contains(name: "connection"):
            head.headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end:
            if !closeAfter.isEmpty { closeAfter.removeFirst() }
            deadlines.responseFinished()
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
