import Hummingbird
import PaperboyApp

/// Counts and times every request by route pattern, method and status.
///
/// Hummingbird's own `MetricsMiddleware` records into the global `MetricsSystem` and names
/// unmatched paths "NotFound"; this one records into the app's `AppMetrics`. The route is the
/// pattern the router matched (`/papers/{id}`), so there is one series per route however many
/// papers there are, and every path no route matches shares `unmatched`. It sits outside the
/// error middleware, so it sees the status the client got. The time runs until the response is
/// ready: every body here is one buffer, so writing it adds only the network.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
        record(request, context, status: response.status.code, since: started)
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        metrics.recordRequest(route: Self.route(context), method: request.method.rawValue, status: status, duration: .now - started)
    }

    /// The router stores the matched pattern in the context (a shared box, so it is there after
    /// `next` even though the context was copied); it says "NotFound" when nothing matched.
    static func route(_ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return path
    }
}
