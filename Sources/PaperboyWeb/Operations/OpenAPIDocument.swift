import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 description of the JSON API, `Resources/static/openapi.json`, written by
/// hand. Two things keep it true: the server refuses to start when a `/api/` route is missing
/// from it (or it lists one that is not served), and the end-to-end test runs schemathesis
/// against every operation it describes.
struct OpenAPIDocument: Sendable {
    static let path = "/api/openapi.json"
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    let body: ByteBuffer
    /// `"GET /api/papers/{id}"`, one per documented operation.
    let operations: Set<String>

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Routes and document disagree; each problem names the operation and where to fix it.
    struct OutOfDate: Error, CustomStringConvertible {
        var problems: [String]
        var description: String { "Resources/static/openapi.json is out of date: " + problems.joined(separator: "; ") }
    }

    init() throws {
        guard let path = WebResources.path("openapi.json", in: "static"), let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "Resources/static/openapi.json is missing")
        }
        try self.init(data: data)
    }

    init(data: Data) throws {
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        else { throw Invalid(description: "openapi.json has no paths") }
        body = ByteBuffer(bytes: data)
        operations = Set(
            paths.flatMap { path, item in
                item.keys.filter(Self.methods.contains).map { "\($0.uppercased()) \(path)" }
            }
        )
    }

    /// What differs between this document and the router's `/api/` routes, one line each.
    func problems(with router: Router<some RequestContext>) -> [String] {
        let served = Set(router.routes.filter { $0.path.description.hasPrefix("/api/") }.map { "\($0.method.rawValue) \($0.path)" })
        return served.subtracting(operations).sorted().map { "\($0) is served but not documented" }
            + operations.subtracting(served).sorted().map { "\($0) is documented but not served" }
    }

    /// Serves the document, then checks it against every route registered so far: register
    /// this after all other routes.
    func register(on router: Router<some RequestContext>) throws {
        let body = body
        router.get(RouterPath(Self.path)) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: body)
            )
        }
        let problems = problems(with: router)
        guard problems.isEmpty else { throw OutOfDate(problems: problems) }
    }
}
