import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore
import Testing

@Suite struct CitationTests {
    static let paper = Paper(
        id: "1706.03762",
        title: "Attention Is All\n  You Need: 100% of {it} & more_",
        summary: "The dominant sequence transduction models…",
        authors: ["Ashish Vaswani", "Noam Shazeer", "Łukasz Kaiser", "Plato"],
        publishedAt: "2017-06-12T17:57:34Z",
        categories: ["cs.CL", "cs.LG"],
        source: .arxiv
    )

    @Test func bibtexCitesTheArxivPreprint() {
        let bib = Citations.bibtex([Citations.Entry(Self.paper, note: "Read § 3")])
        #expect(bib.hasPrefix("@misc{vaswani2017attention,\n"))
        #expect(bib.contains("  title = {{Attention Is All You Need: 100\\% of \\{it\\} \\& more\\_}},"))
        #expect(bib.contains("  author = {Vaswani, Ashish and Shazeer, Noam and Kaiser, Łukasz and Plato},"))
        #expect(bib.contains("  year = {2017},"))
        #expect(bib.contains("  month = {jun},"))
        #expect(bib.contains("  eprint = {1706.03762},\n  archivePrefix = {arXiv},\n  primaryClass = {cs.CL},"))
        #expect(bib.contains("  doi = {10.48550/arXiv.1706.03762},"))
        #expect(bib.contains("  url = {https://arxiv.org/abs/1706.03762},"))
        #expect(bib.contains("  note = {Read § 3}\n}"))
        let twice = Citations.bibtex([Citations.Entry(Self.paper), Citations.Entry(Self.paper)])
        #expect(twice.contains("@misc{vaswani2017attention,") && twice.contains("@misc{vaswani2017attentiona,"), "keys stay unique")
    }

    @Test func risAndCSLJSONCarryTheSameFields() throws {
        let ris = Citations.ris([Citations.Entry(Self.paper)])
        let lines = ris.components(separatedBy: "\r\n")
        #expect(lines.first == "TY  - UNPB")
        #expect(lines.filter { $0.hasPrefix("AU  - ") } == ["AU  - Vaswani, Ashish", "AU  - Shazeer, Noam", "AU  - Kaiser, Łukasz", "AU  - Plato"])
        #expect(lines.contains("TI  - Attention Is All You Need: 100% of {it} & more_"))
        #expect(lines.contains("PY  - 2017"))
        #expect(lines.contains("DA  - 2017/06/12"))
        #expect(lines.contains("AN  - arXiv:1706.03762"))
        #expect(lines.contains("UR  - https://arxiv.org/abs/1706.03762"))
        #expect(lines.contains("ER  - "))

        let csl = try #require(
            try JSONSerialization.jsonObject(with: Data(Citations.cslJSON([Citations.Entry(Self.paper)]).utf8)) as? [[String: Any]]
        )
        let item = try #require(csl.first)
        #expect(item["type"] as? String == "article")
        #expect(item["title"] as? String == "Attention Is All You Need: 100% of {it} & more_")
        let authors = try #require(item["author"] as? [[String: String]])
        #expect(authors.first == ["family": "Vaswani", "given": "Ashish"])
        #expect(authors.last == ["literal": "Plato"])
        #expect((item["issued"] as? [String: [[Int]]])?["date-parts"] == [[2017, 6, 12]])
        #expect(item["number"] as? String == "1706.03762")
        #expect(item["URL"] as? String == "https://arxiv.org/abs/1706.03762")
    }
}

@Suite struct CollectionRouteTests {
    @Test func aReaderKeepsACollectionSharesItAndExportsIt() async throws {
        try await TestApp.withApp { client, _ in
            var ada = Visitor(client: client)
            _ = try await ada.signUp()
            let list = try await ada.get("/collections")
            #expect(list.body.contains("No collections yet."))
            let created = try await ada.post(
                "/collections",
                ["csrf": try Visitor.csrf(in: list), "name": "Reading <list>", "description": "For Friday", "visibility": "public"]
            )
            #expect(created.status == .seeOther)
            let path = try #require(created.headers[.location])
            let id = try #require(Int(path.split(separator: "/").last ?? ""))

            // Save from the paper page: the form lists the collection, the page then says so.
            let paperPage = try await ada.get("/papers/2405.15738")
            #expect(paperPage.body.contains("<option value=\"\(id)\">Reading &lt;list&gt;</option>"))
            let saved = try await ada.post(
                "/papers/2405.15738/save",
                ["csrf": try Visitor.csrf(in: paperPage), "collection": String(id), "next": "/papers/2405.15738"]
            )
            #expect(saved.headers[.location] == "/papers/2405.15738")
            #expect(
                try await ada.get("/papers/2405.15738").body.contains("In your collections: <a href=\"/collections/\(id)\">Reading &lt;list&gt;</a>")
            )
            let page = try await ada.get(path)
            _ = try await ada.post("/collections/\(id)/papers", ["csrf": try Visitor.csrf(in: page), "paper": "https://arxiv.org/abs/2405.15574v1"])
            _ = try await ada.post(
                "/collections/\(id)/papers/note",
                ["csrf": try Visitor.csrf(in: page), "paper": "2405.15574", "note": "Compare with § 4"]
            )
            _ = try await ada.post(
                "/collections/\(id)/papers/move",
                ["csrf": try Visitor.csrf(in: page), "paper": "2405.15574", "direction": "up"]
            )

            // Anyone can read a public collection at its share URL, in order, with notes.
            let shared = try await client.get(path)
            #expect(shared.status == .ok)
            let first = try #require(shared.body.range(of: "2405.15574"))
            let second = try #require(shared.body.range(of: "2405.15738"))
            #expect(first.lowerBound < second.lowerBound, "moved up")
            #expect(shared.body.contains("<p class=\"note\">Compare with § 4</p>"))
            #expect(!shared.body.contains("papers/remove"), "no owner controls for others")
            #expect(shared.body.contains("/collections/\(id).bib"))

            let bib = try await client.get("\(path).bib")
            #expect(bib.headers[.contentType] == "application/x-bibtex; charset=utf-8")
            #expect(bib.body.components(separatedBy: "@misc{").count == 3)
            #expect(bib.body.contains("eprint = {2405.15574}"))
            #expect(bib.body.contains("note = {Compare with § 4}"))
            #expect(try await client.get("\(path).ris").body.components(separatedBy: "TY  - UNPB").count == 3)
            let csl = try #require(try json(try await client.get("\(path).csl.json").body) as? [[String: Any]])
            #expect(csl.map { $0["number"] as? String } == ["2405.15574", "2405.15738"])
            let atom = try AtomEntries(try await client.get("\(path).atom").body)
            #expect(atom.titles.count == 2)
            #expect(try await client.get("/papers/2405.15738.bib").body.contains("@misc{"))
            #expect(try await client.get("/papers/2405.15738.ris").body.hasPrefix("TY  - UNPB"))
            #expect(try await client.get("\(path).pdf").status == .notFound)

            // Made private, it is gone for everyone else, and from the profile.
            let settings = try await ada.get(path)
            _ = try await ada.post("/collections/\(id)/edit", ["csrf": try Visitor.csrf(in: settings), "name": "Reading <list>"])
            #expect(try await client.get(path).status == .notFound)
            #expect(try await client.get("\(path).bib").status == .notFound)
            #expect(try await client.get("\(path).atom").status == .notFound)
            #expect(try await ada.get(path).status == .ok, "still the owner's")
            #expect(!(try await client.get("/u/ada").body.contains("Reading &lt;list&gt;")))
            #expect(try await ada.get("/u/ada").body.contains("Reading &lt;list&gt;"), "owners see their private collections")

            var bob = Visitor(client: client)
            _ = try await bob.signUp(email: "bob@example.org", name: "bob")
            let bobPage = try await bob.get("/collections")
            let stolen = try await bob.post("/collections/\(id)/papers", ["csrf": try Visitor.csrf(in: bobPage), "paper": "2405.15071"])
            #expect(stolen.status == .notFound, "a private collection does not exist for others")
            let deleted = try await ada.post("/collections/\(id)/delete", ["csrf": try Visitor.csrf(in: settings)])
            #expect(deleted.headers[.location] == "/collections")
            #expect(try await ada.get(path).status == .notFound)
        }
    }

    @Test func theAPIManagesCollectionsWithAToken() async throws {
        try await TestApp.withApp { client, _ in
            let (_, token) = try await APITokenTests.token(for: "ada", client: client)
            let (_, bobToken) = try await APITokenTests.token(for: "bob", client: client)
            func send(
                _ uri: String,
                _ method: HTTPRequest.Method,
                _ body: String? = nil,
                token: String?
            ) async throws -> (HTTPResponse.Status, [String: Any]?) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                    ($0.status, try? json(String(buffer: $0.body)) as? [String: Any])
                }
            }
            #expect(try await send("/api/collections", .post, #"{"name": "x"}"#, token: nil).0 == .unauthorized)
            let (created, collection) = try await send("/api/collections", .post, #"{"name": "Agents", "isPublic": false}"#, token: token)
            #expect(created == .created)
            let id = try #require(collection?["id"] as? Int)
            #expect(try await send("/api/collections", .post, #"{"name": ""}"#, token: token).0 == .badRequest)
            for paper in ["2405.15738", "2405.15574", "2405.15071"] {
                #expect(try await send("/api/collections/\(id)/papers", .post, #"{"paperId": "\#(paper)"}"#, token: token).0 == .created)
            }
            #expect(try await send("/api/collections/\(id)/papers", .post, #"{"paperId": "2405.15738"}"#, token: token).0 == .ok)
            #expect(try await send("/api/collections/\(id)/papers", .post, #"{"paperId": "2401.99999"}"#, token: token).0 == .notFound)
            let (moved, after) = try await send(
                "/api/collections/\(id)/papers/2405.15071",
                .patch,
                #"{"position": 0, "note": "start here"}"#,
                token: token
            )
            #expect(moved == .ok)
            let papers = try #require(after?["papers"] as? [[String: Any]])
            #expect(papers.map { $0["paperId"] as? String } == ["2405.15071", "2405.15738", "2405.15574"])
            #expect(papers.first?["note"] as? String == "start here")

            #expect(try await send("/api/collections/\(id)", .get, token: nil).0 == .notFound, "private without the owner's token")
            #expect(try await send("/api/collections/\(id)", .get, token: bobToken).0 == .notFound)
            #expect(try await send("/api/collections/\(id)", .patch, #"{"isPublic": true}"#, token: token).0 == .ok)
            let (read, shared) = try await send("/api/collections/\(id)", .get, token: nil)
            #expect(read == .ok)
            #expect(shared?["numPapers"] as? Int == 3)
            #expect(try await send("/api/collections/\(id)/papers/2405.15738", .delete, token: bobToken).0 == .forbidden)
            #expect(try await send("/api/collections/\(id)/papers/2405.15738", .delete, token: token).0 == .noContent)
            let listed = try await client.execute(uri: "/api/collections", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                try json(String(buffer: $0.body)) as? [[String: Any]]
            }
            #expect(listed?.map { $0["numPapers"] as? Int } == [2])
            #expect(try await send("/api/collections/\(id)", .delete, token: token).0 == .noContent)
            #expect(try await send("/api/collections/\(id)", .get, token: token).0 == .notFound)
        }
    }
}
