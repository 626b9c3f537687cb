import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PaperboyApp
@testable import PaperboyWeb

/// `/api/openapi.json` against the router. The whole-app test covers every route
/// `buildApplication` registers: building the app throws when one is undocumented.
@Suite struct OpenAPITests {
    @Test func documentIsServedAndMatchesEveryAPIRoute() async throws {
        try await TestApp.withApp { client in
            let response = try await client.get("/api/openapi.json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try #require(try json(response.body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(paths.keys.contains("/api/papers/{id}"))
            #expect(Set(paths["/api/papers/{id}/upvote"]?.keys.map { $0 } ?? []) == ["post", "delete"])
        }
    }

    @Test func everyOperationDocumentsItsErrorsAndAuthentication() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(try OpenAPIDocument().body.readableBytesView)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        for (path, item) in paths {
            for (method, operation) in item {
                let name = "\(method.uppercased()) \(path)"
                let responses = try #require(operation["responses"] as? [String: Any], "\(name) has no responses")
                #expect(responses["429"] != nil, "\(name): every /api route is rate limited")
                let parameters = (operation["parameters"] as? [Any]) ?? []
                if !parameters.isEmpty || operation["requestBody"] != nil {
                    #expect(responses["400"] != nil || responses["404"] != nil, "\(name) takes input, so it can refuse it")
                }
                if operation["security"] != nil {
                    #expect(responses["401"] != nil, "\(name) needs a token, so it answers 401 without one")
                }
            }
        }
        let token = document["components"].flatMap { ($0 as? [String: Any])?["securitySchemes"] as? [String: [String: String]] }?["apiToken"]
        #expect(token?["scheme"] == "bearer")
    }

    @Test func anUndocumentedRouteOrAnUnservedOperationIsReported() throws {
        let document = try OpenAPIDocument()
        let router = Router(context: AppRequestContext.self)
        for operation in document.operations {
            let parts = operation.split(separator: " ")
            router.on(RouterPath(String(parts[1])), method: HTTPRequest.Method(String(parts[0]))!) { _, _ in "" }
        }
        #expect(document.problems(with: router).isEmpty)

        router.get("/api/papers/:id/citations") { _, _ in "" }
        router.get("/static/extra.css") { _, _ in "" }
        #expect(document.problems(with: router) == ["GET /api/papers/{id}/citations is served but not documented"])

        let short = Router(context: AppRequestContext.self)
        short.get("/api/papers") { _, _ in "" }
        let problems = document.problems(with: short)
        #expect(problems.contains("GET /api/daily_papers is documented but not served"))
        #expect(!problems.contains { $0.hasPrefix("GET /api/papers ") })
        #expect(throws: OpenAPIDocument.OutOfDate.self) { try document.register(on: short) }
    }

    @Test func requestsUnderAPIAlwaysGetJSONErrors() async throws {
        try await TestApp.withApp { client in
            for uri in ["/api/papers/search?limit=0", "/api/papers/not-an-id", "/api/daily_papers?limit=0", "/api/papers/2405.15738/related?limit=x"]
            {
                let response = try await client.get(uri)
                #expect([400, 404].contains(response.status.code), "\(uri)")
                #expect(response.headers[.contentType] == "application/json; charset=utf-8", "\(uri)")
                let body = try #require(try json(response.body) as? [String: String], "\(uri)")
                #expect(body.keys.sorted() == ["error"], "\(uri)")
            }
        }
    }
}
