import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each registered path answers, so a known path asked with another method gets
/// 405 and an `Allow` header instead of 404. Filled once all routes are registered.
final class RouteTable: Sendable {
    private struct Route {
        let segments: [Substring]
        var methods: Set<String>
    }

    private let routes = Mutex<[Route]>([])

    func record(_ registered: [(path: String, method: String)]) {
        var byPath: [String: Route] = [:]
        for (path, method) in registered {
            byPath[path, default: Route(segments: Self.segments(path), methods: [])].methods.insert(method)
        }
        routes.withLock { $0 = Array(byPath.values) }
    }

    /// The methods allowed on `path` (HEAD wherever GET is), or nil when no route matches it.
    /// As in the router, the most specific pattern wins: `/api/papers/submit` over `/api/papers/{id}`.
    func allowedMethods(for path: String) -> [String]? {
        let segments = Self.segments(path)
        let best = routes.withLock { routes in
            routes.filter { Self.matches($0.segments, segments) }
                .max { Self.specificity($0.segments).lexicographicallyPrecedes(Self.specificity($1.segments)) }
        }
        guard var methods = best?.methods, !methods.isEmpty else { return nil }
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    /// Per segment: 2 for a fixed name, 1 for a parameter, 0 for a wildcard.
    private static func specificity(_ pattern: [Substring]) -> [Int] {
        pattern.map { part in part.hasPrefix("*") ? 0 : (part.hasPrefix(":") || part.contains("{")) ? 1 : 2 }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// `:name`, `{name}` (Hummingbird's own spelling of a parameter) and `*` match one segment,
    /// `**` the rest; anything else matches itself.
    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        for (index, part) in pattern.enumerated() {
            if part == "**" { return true }
            guard index < path.count else { return false }
            if part.hasPrefix(":") || part.contains("{") || part == "*" { continue }
            if part != path[index] { return false }
        }
        return pattern.count == path.count
    }
}
