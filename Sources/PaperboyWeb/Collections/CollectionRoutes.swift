import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// Collections: a reader's list (`/collections`), each collection's page with its share URL
/// (`/collections/{id}`), its exports (`.bib`, `.ris`, `.csl.json`) and, when public, its Atom
/// feed (`.atom`); the save page of a paper (`/papers/{id}/save`); and the JSON API. Pages of
/// collections are never cached: they differ by viewer, and a private one is its owner's alone.
struct CollectionRoutes: Sendable {
    let collections: CollectionService
    let accounts: AccountService
    let forms: AccountRoutes
    let renderer: PageRenderer
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.get("/collections") { _, context in
            guard let session = context.session, let reader = session.reader else { return forms.loginRedirect(to: "/collections") }
            let mine = try await collections.collections(ofReaderID: reader.id, includingPrivate: true)
            return try page(
                "collections",
                ["pageTitle": "Your collections", "collections": mine.map(Self.summary), "hasCollections": !mine.isEmpty],
                session
            )
        }
        router.post("/collections") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionForm.self, request, context)
            let created = try await collections.create(
                name: form.name ?? "",
                description: form.description ?? "",
                isPublic: Self.isPublic(form.visibility),
                by: reader
            )
            return forms.redirect(to: "/collections/\(created.id)", cookie: nil)
        }
        router.get("/collections/:id") { request, context in try await show(request, context) }
        router.post("/collections/:id/edit") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionForm.self, request, context)
            let updated = try await collections.update(
                try collectionID(context),
                name: form.name,
                description: form.description,
                isPublic: Self.isPublic(form.visibility),
                by: reader
            )
            return forms.redirect(to: "/collections/\(updated.id)", cookie: nil)
        }
        router.post("/collections/:id/delete") { request, context in
            let (reader, _) = try await forms.verifiedReader(TokenOnlyForm.self, request, context)
            try await collections.delete(try collectionID(context), by: reader)
            return forms.redirect(to: "/collections", cookie: nil)
        }
        router.post("/collections/:id/papers") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionPaperForm.self, request, context)
            let id = try collectionID(context)
            try await collections.add(form.paper ?? "", to: id, note: form.note, by: reader)
            return back(form.next, id)
        }
        router.post("/collections/:id/papers/remove") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionPaperForm.self, request, context)
            let id = try collectionID(context)
            try await collections.remove(form.paper ?? "", from: id, by: reader)
            return back(form.next, id)
        }
        router.post("/collections/:id/papers/note") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionPaperForm.self, request, context)
            let id = try collectionID(context)
            try await collections.setNote(form.note, on: form.paper ?? "", in: id, by: reader)
            return back(form.next, id)
        }
        router.post("/collections/:id/papers/move") { request, context in
            let (reader, form) = try await forms.verifiedReader(CollectionPaperForm.self, request, context)
            let id = try collectionID(context)
            let view = try await collections.view(id, by: reader)
            guard let paper = ArxivID(form.paper ?? "")?.base, let item = view.items.first(where: { $0.paper.id == paper }) else {
                throw DomainError.notFound("That paper is not in this collection.")
            }
            let position = item.position + (form.direction == "up" ? -1 : 1)
            try await collections.move(paper, in: id, to: position, by: reader)
            return back(form.next, id)
        }
        router.get("/papers/:id/save") { _, context in
            let paper = try context.parameters.require("id")
            guard let session = context.session, let reader = session.reader else { return forms.loginRedirect(to: "/papers/\(paper)/save") }
            let choices = try await collections.saving(paper, by: reader)
            return try page(
                "paper-save",
                [
                    "pageTitle": "Save to a collection", "paperID": ArxivID(paper)?.base ?? paper,
                    "choices": choices.map { choice -> [String: Any] in
                        var values = Self.summary(choice.collection)
                        if choice.holds { values["holds"] = true }
                        return values
                    },
                    "hasChoices": !choices.isEmpty,
                ],
                session
            )
        }
        router.post("/papers/:id/save") { request, context in
            let paper = try context.parameters.require("id")
            let (session, form) = try await forms.verifiedForm(SaveForm.self, request, context)
            guard let reader = session.reader else { return forms.loginRedirect(to: "/papers/\(paper)") }
            let target: Int64
            if let chosen = form.collection.flatMap({ Int64($0) }) {
                target = chosen
            } else {
                target = try await collections.create(name: form.name ?? "", isPublic: false, by: reader).id
            }
            if form.action == "remove" {
                try await collections.remove(paper, from: target, by: reader)
            } else {
                try await collections.add(paper, to: target, by: reader)
            }
            return forms.redirect(to: AccountRoutes.safeNext(form.next ?? "/papers/\(ArxivID(paper)?.base ?? paper)"), cookie: nil)
        }
        registerAPI(on: router)
    }

    // MARK: - Pages

    func show(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let raw = try context.parameters.require("id")
        let (idText, suffix) = Self.split(raw)
        guard let id = Int64(idText), id > 0 else { throw DomainError.notFound("There is no collection “\(raw.prefix(40))”.") }
        let viewer = context.reader
        if let suffix {
            if suffix == "atom" { return try await atom(id, request) }
            guard let format = Citations.Format(rawValue: suffix) else { throw DomainError.notFound("There is no such export.") }
            let body = try await collections.export(id, as: format, by: viewer)
            return Self.download(body, format: format, filename: "collection-\(id).\(format.rawValue)")
        }
        let view = try await collections.view(id, by: viewer)
        let base = publicURL.base(for: request)
        var values = Self.summary(view.collection)
        values["pageTitle"] = view.collection.name
        values["shareURL"] = "\(base)/collections/\(id)"
        values["items"] = view.items.enumerated().map { index, item -> [String: Any] in
            var values: [String: Any] = [
                "id": item.paper.id, "url": "/papers/\(item.paper.id)", "title": item.paper.title,
                "authorsShort": DisplayText.shortAuthors(item.paper.authors), "collectionID": id,
            ]
            if let note = item.note { values["note"] = note }
            if let day = item.paper.publishedDay { values["published"] = DisplayText.longDate(day) }
            if index > 0 { values["canMoveUp"] = true }
            if index < view.items.count - 1 { values["canMoveDown"] = true }
            return values
        }
        values["hasItems"] = !view.items.isEmpty
        values["exports"] = Citations.Format.allCases.map { ["url": "/collections/\(id).\($0.rawValue)", "label": $0.label] }
        if view.isOwner { values["isOwner"] = true }
        guard let session = context.session, session.reader != nil else {
            return Responses.html(try renderer.render("collection", values), private: !view.collection.isPublic)
        }
        return try page("collection", values, session)
    }

    func atom(_ id: Int64, _ request: Request) async throws -> Response {
        // Feed readers carry no session: only public collections have a feed.
        let view = try await collections.view(id, by: nil)
        let base = publicURL.base(for: request)
        let xml = AtomFeed.render(
            title: "Paperboy · \(view.collection.name)",
            selfURL: "\(base)/collections/\(id).atom",
            siteURL: "\(base)/collections/\(id)",
            updated: view.items.compactMap { FeedDay(String($0.addedAt.prefix(10))) }.max(),
            entries: view.items.map { ($0.paper, FeedDay(String($0.addedAt.prefix(10))) ?? FeedDay(daysSinceEpoch: 0)) },
            base: base
        )
        return Response(
            status: .ok,
            headers: [.contentType: "application/atom+xml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: xml))
        )
    }

    static func download(_ body: String, format: Citations.Format, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: format.contentType, .contentDisposition: "inline; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// "12.bib" → ("12", "bib"); "12.csl.json" → ("12", "csl.json"); "12" → ("12", nil).
    static func split(_ raw: String) -> (String, String?) {
        guard let dot = raw.firstIndex(of: ".") else { return (raw, nil) }
        return (String(raw[..<dot]), String(raw[raw.index(after: dot)...]))
    }

    static func summary(_ collection: PaperCollection) -> [String: Any] {
        var values: [String: Any] = [
            "collectionID": collection.id, "url": "/collections/\(collection.id)", "name": collection.name,
            "description": collection.description, "owner": collection.ownerName,
            "ownerURL": "/u/\(QueryString.encode(collection.ownerName))",
            "count": DisplayText.counted(collection.paperCount, "paper"),
            "visibility": collection.isPublic ? "Public" : "Private",
        ]
        if collection.isPublic { values["isPublic"] = true }
        if !collection.description.isEmpty { values["hasDescription"] = true }
        return values
    }

    func page(_ template: String, _ values: [String: Any], _ session: ActiveSession) throws -> Response {
        guard let reader = session.reader else { throw DomainError.notAllowed("Log in first.") }
        let html = try renderer.render(template, values, viewer: PageRenderer.Viewer(reader: reader, csrf: session.csrfToken))
        return Responses.html(html, private: true)
    }

    static func isPublic(_ visibility: String?) -> Bool {
        visibility == "on" || visibility == "public"
    }

    func back(_ next: String?, _ id: Int64) -> Response {
        forms.redirect(to: AccountRoutes.safeNext(next ?? "/collections/\(id)"), cookie: nil)
    }

    func collectionID(_ context: AppRequestContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw DomainError.notFound("There is no collection “\(raw.prefix(40))”.") }
        return id
    }

    // MARK: - JSON API

    func registerAPI(on router: Router<AppRequestContext>) {
        router.get("/api/collections") { request, _ in
            let reader = try await apiReader(request)
            let mine = try await collections.collections(ofReaderID: reader.id, includingPrivate: true)
            return try JSONResponse.make(mine.map { APICollection($0, items: nil) })
        }
        router.post("/api/collections") { request, _ in
            let reader = try await apiReader(request)
            let sent = try await DiscussionRoutes.json(APICollectionRequest.self, request)
            let created = try await collections.create(
                name: sent.name ?? "",
                description: sent.description ?? "",
                isPublic: sent.isPublic ?? false,
                by: reader
            )
            return try JSONResponse.make(APICollection(created, items: []), status: .created)
        }
        router.get("/api/collections/:id") { request, context in
            // A token is optional: without one, only public collections are found.
            let reader = try await optionalAPIReader(request)
            let view = try await collections.view(try collectionID(context), by: reader)
            return try JSONResponse.make(APICollection(view.collection, items: view.items))
        }
        router.patch("/api/collections/:id") { request, context in
            let reader = try await apiReader(request)
            let sent = try await DiscussionRoutes.json(APICollectionRequest.self, request)
            let id = try collectionID(context)
            _ = try await collections.update(id, name: sent.name, description: sent.description, isPublic: sent.isPublic, by: reader)
            let view = try await collections.view(id, by: reader)
            return try JSONResponse.make(APICollection(view.collection, items: view.items))
        }
        router.delete("/api/collections/:id") { request, context in
            let reader = try await apiReader(request)
            try await collections.delete(try collectionID(context), by: reader)
            return Response(status: .noContent)
        }
        router.post("/api/collections/:id/papers") { request, context in
            let reader = try await apiReader(request)
            let sent = try await DiscussionRoutes.json(APICollectionPaperRequest.self, request)
            let id = try collectionID(context)
            let added = try await collections.add(sent.paperId ?? "", to: id, note: sent.note, by: reader)
            let view = try await collections.view(id, by: reader)
            return try JSONResponse.make(APICollection(view.collection, items: view.items), status: added ? .created : .ok)
        }
        router.patch("/api/collections/:id/papers/:paper") { request, context in
            let reader = try await apiReader(request)
            let sent = try await DiscussionRoutes.json(APICollectionPaperRequest.self, request)
            let id = try collectionID(context)
            let paper = try context.parameters.require("paper")
            if let note = sent.note { try await collections.setNote(note, on: paper, in: id, by: reader) }
            if let position = sent.position { try await collections.move(paper, in: id, to: position, by: reader) }
            let view = try await collections.view(id, by: reader)
            return try JSONResponse.make(APICollection(view.collection, items: view.items))
        }
        router.delete("/api/collections/:id/papers/:paper") { request, context in
            let reader = try await apiReader(request)
            try await collections.remove(try context.parameters.require("paper"), from: try collectionID(context), by: reader)
            return Response(status: .noContent)
        }
    }

    func apiReader(_ request: Request) async throws -> Reader {
        guard let reader = try await optionalAPIReader(request) else { throw DiscussionRoutes.TokenRequired() }
        return reader
    }

    /// The token's reader; nil without a token; a 401 for a token that is not valid.
    func optionalAPIReader(_ request: Request) async throws -> Reader? {
        guard request.headers[.authorization] != nil else { return nil }
        guard let token = TokenRoutes.bearerToken(request), let reader = try await accounts.reader(forAPIToken: token) else {
            throw DiscussionRoutes.TokenRequired()
        }
        return reader
    }
}

struct APICollectionRequest: Decodable {
    var name: String?
    var description: String?
    var isPublic: Bool?
}

struct APICollectionPaperRequest: Decodable {
    var paperId: String?
    var note: String?
    var position: Int?
}

struct APICollection: Encodable {
    struct Item: Encodable {
        var paperId: String
        var title: String
        var authors: [String]
        var position: Int
        var note: String?
        var addedAt: String
    }

    var id: Int64
    var name: String
    var description: String
    var isPublic: Bool
    var owner: String
    var url: String
    var numPapers: Int
    var createdAt: String
    var updatedAt: String
    var papers: [Item]?

    init(_ collection: PaperCollection, items: [CollectionItem]?) {
        id = collection.id
        name = collection.name
        description = collection.description
        isPublic = collection.isPublic
        owner = collection.ownerName
        url = "/collections/\(collection.id)"
        numPapers = collection.paperCount
        createdAt = collection.createdAt
        updatedAt = collection.updatedAt
        papers = items?.map {
            Item(paperId: $0.paper.id, title: $0.paper.title, authors: $0.paper.authors, position: $0.position, note: $0.note, addedAt: $0.addedAt)
        }
    }
}
