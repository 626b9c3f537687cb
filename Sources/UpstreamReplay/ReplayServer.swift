import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP/1.1 server that replays recorded upstream answers (Hugging Face daily
/// papers, arXiv OAI-PMH pages) and misbehaves on request: throttling, dropped connections,
/// cut-off bodies, slow answers. Tests point a client's endpoint at `baseURL`, add routes and
/// faults, and read the request log to check what the client sent and when.
public final class ReplayServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public let host: String
    /// The port the server listens on (the system's pick when started with port 0).
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://\(host):\(port)" }

    let routes: ReplayRoutes
    private let channel: any Channel
    private let acceptLoop: Task<Void, Never>

    private init(host: String, port: Int, channel: any Channel, acceptLoop: Task<Void, Never>, routes: ReplayRoutes) {
        self.host = host
        self.port = port
        self.channel = channel
        self.acceptLoop = acceptLoop
        self.routes = routes
    }

    /// Starts listening on `host:port` (port 0: any free port). `onRequest` sees each request
    /// once answered (the `upstream-replay` command prints them).
    public static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        onRequest: (@Sendable (ReplayRequest) -> Void)? = nil
    ) async throws -> ReplayServer {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let routes = ReplayRoutes()
        let loop = Task<Void, Never> {
            _ = try? await listener.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            group.addTask { await ReplayConnection(routes: routes, onRequest: onRequest).serve(connection) }
                        }
                    } catch {
                        // The listener closed: shutting down.
                    }
                    group.cancelAll()
                }
            }
        }
        return ReplayServer(
            host: host,
            port: listener.channel.localAddress?.port ?? port,
            channel: listener.channel,
            acceptLoop: loop,
            routes: routes
        )
    }

    /// Starts a server, runs `body` with it and shuts it down, also when `body` throws.
    public static func with<T>(
        onRequest: (@Sendable (ReplayRequest) -> Void)? = nil,
        _ body: (ReplayServer) async throws -> T
    ) async throws -> T {
        let server = try await start(onRequest: onRequest)
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Stops listening and closes every open connection.
    public func shutdown() async {
        acceptLoop.cancel()
        try? await channel.close()
        await acceptLoop.value
    }

    // MARK: Routes, faults and the log

    /// Answers `response` to `GET path` with exactly `query` (nil: any query), replacing what
    /// the route answered before (a day whose upvotes went up between two syncs).
    public func route(_ path: String, query: [String: String]? = nil, _ response: ReplayResponse) {
        routes.set(response, for: ReplayMatch(path: path, query: query))
    }

    public func removeRoute(_ path: String, query: [String: String]? = nil) {
        routes.remove(ReplayMatch(path: path, query: query))
    }

    /// Computes answers for `path` from the request, after the fixed routes; return nil to
    /// fall through to the next handler (and finally a 404).
    public func handle(_ path: String, _ handler: @escaping @Sendable (ReplayRequest) -> ReplayResponse?) {
        routes.handle(path: path, with: handler)
    }

    /// Applies `fault` to the next `times` requests for `path` (with exactly `query`, or any).
    /// Faults apply in the order they were injected.
    public func inject(_ fault: ReplayFault, path: String, query: [String: String]? = nil, times: Int = 1) {
        routes.inject(fault, for: ReplayMatch(path: path, query: query), times: times)
    }

    /// Every request answered so far, oldest first.
    public var requests: [ReplayRequest] { routes.log }

    public func clearRequests() {
        routes.clearLog()
    }
}
