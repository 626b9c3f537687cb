import Foundation
import NIOCore
import NIOHTTP1

/// Serves the requests of one keep-alive connection, one after the other, applying faults.
struct ReplayConnection: Sendable {
    let routes: ReplayRoutes
    let onRequest: (@Sendable (ReplayRequest) -> Void)?

    func serve(_ connection: ReplayServer.Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let requestHead): head = requestHead
                case .body: break  // upstream APIs are GETs; bodies are ignored
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    let keepGoing = try await answer(requestHead, outbound)
                    if !keepGoing { return }
                }
            }
        }
    }

    /// Answers one request; false when the connection must close (a dropped answer).
    private func answer(_ head: HTTPRequestHead, _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let (path, query) = QueryString.split(head.uri)
        let request = ReplayRequest(
            method: head.method.rawValue,
            uri: head.uri,
            path: path,
            query: query,
            headers: head.headers.map { ReplayHeader($0.name, $0.value) },
            receivedAt: Date().timeIntervalSince1970,
            instant: .now
        )
        let (response, fault) = routes.resolve(request)
        var logged = request
        logged.status = response.status
        onRequest?(logged)

        var body = response.body
        var declaredLength = body.count
        var pause = Duration.zero
        var chunks = 1
        switch fault {
        case .dropMidBody:
            body = Array(body.prefix(body.count / 2))
        case .truncatedBody(let keeping):
            body = Array(body.prefix(keeping ?? body.count / 2))
            declaredLength = body.count
        case .slow(let beforeHeaders, let betweenChunks, let count):
            try await Task.sleep(for: beforeHeaders)
            pause = betweenChunks
            chunks = max(1, count)
        case .answer, nil:
            break
        }

        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: "\(declaredLength)")
        if fault == .dropMidBody { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
        let size = (body.count + chunks - 1) / chunks
        for (index, start) in stride(from: 0, to: body.count, by: max(1, size)).enumerated() {
            if index > 0, pause > .zero { try await Task.sleep(for: pause) }
            let piece = body[start..<min(body.count, start + size)]
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: piece))))
        }
        if fault == .dropMidBody {
            // Let the half body reach the socket before the close cuts the connection.
            try await Task.sleep(for: .milliseconds(50))
            return false
        }
        try await outbound.write(.end(nil))
        return head.isKeepAlive
    }
}
