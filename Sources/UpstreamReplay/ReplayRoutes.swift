import Synchronization

/// What the server answers and which faults are pending: shared by every connection, changed
/// by tests between (or during) a client's requests.
final class ReplayRoutes: Sendable {
    typealias Handler = @Sendable (ReplayRequest) -> ReplayResponse?

    private struct PendingFault {
        var match: ReplayMatch
        var fault: ReplayFault
        var remaining: Int
    }

    private struct State {
        var routes: [ReplayMatch: ReplayResponse] = [:]
        /// Answers computed from the request (a directory of days), tried after the routes.
        var handlers: [(path: String, handler: Handler)] = []
        var faults: [PendingFault] = []
        var log: [ReplayRequest] = []
    }

    private let state = Mutex(State())

    func set(_ response: ReplayResponse, for match: ReplayMatch) {
        state.withLock { $0.routes[match] = response }
    }

    func remove(_ match: ReplayMatch) {
        state.withLock { _ = $0.routes.removeValue(forKey: match) }
    }

    func handle(path: String, with handler: @escaping Handler) {
        state.withLock { $0.handlers.append((path, handler)) }
    }

    func inject(_ fault: ReplayFault, for match: ReplayMatch, times: Int) {
        guard times > 0 else { return }
        state.withLock { $0.faults.append(PendingFault(match: match, fault: fault, remaining: times)) }
    }

    var log: [ReplayRequest] { state.withLock { $0.log } }

    func clearLog() {
        state.withLock { $0.log.removeAll() }
    }

    /// The answer to `request` and the fault to apply to it (consuming one use of the fault),
    /// and the request logged with its status.
    func resolve(_ request: ReplayRequest) -> (ReplayResponse, ReplayFault?) {
        state.withLock { state in
            var fault: ReplayFault?
            if let index = state.faults.firstIndex(where: { $0.match.matches(request) }) {
                fault = state.faults[index].fault
                state.faults[index].remaining -= 1
                if state.faults[index].remaining == 0 { state.faults.remove(at: index) }
            }
            var response: ReplayResponse
            if case .answer(let answer) = fault {
                response = answer
                fault = nil
            } else {
                response = Self.route(for: request, in: state) ?? .text("no recording for \(request.uri)\n", status: 404)
            }
            var logged = request
            logged.status = response.status
            state.log.append(logged)
            return (response, fault)
        }
    }

    /// A route with exactly the request's query, else one for any query, else a handler.
    private static func route(for request: ReplayRequest, in state: State) -> ReplayResponse? {
        if let exact = state.routes[ReplayMatch(path: request.path, query: request.query)] { return exact }
        if let any = state.routes[ReplayMatch(path: request.path)] { return any }
        for (path, handler) in state.handlers where path == request.path {
            if let response = handler(request) { return response }
        }
        return nil
    }
}
