import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyMail
import PaperboyStore
import PaperboyStoreFactory
import PaperboyWeb

@testable import PaperboyApp

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A running application (in-process test client) over a fresh SQLite file holding two real
/// feed days, 2024-05-27 (13 papers) and 2024-05-28 (15 papers), and a fixed clock.
struct TestApp {
    static let noonAfterLastDay = FixedClock(FeedDay("2024-05-28")!, hour: 12)

    /// The MiniLM weights fetched by `scripts/fetch-model.sh` (run by `make test`).
    static let modelDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".models/all-MiniLM-L6-v2")

    /// Loaded once: every semantic test shares it.
    static let embedder: Result<MiniLMTextEmbedder, Error> = Result {
        try MiniLMTextEmbedder(modelDirectory: modelDirectory)
    }

    /// The two recorded days every test starts from.
    static var fixtureFiles: [String] {
        ["2024-05-27.json", "2024-05-28.json"].compactMap {
            Bundle.module.url(forResource: "Fixtures/\($0)", withExtension: nil)?.path
        }
    }

    /// The repository's bundled demo data (`data/demo`), 60 days captured from Hugging Face.
    static let demoDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/demo")

    /// - Parameters:
    ///   - feedFiles: Hugging Face daily-papers captures to import (files or folders).
    ///   - semantic: also embed every paper with MiniLM, so hybrid search and related
    ///     papers use embeddings.
    static func withApp(
        feedFiles: [String] = fixtureFiles,
        extraEntries: [DailyEntry] = [],
        clock: any WallClock = noonAfterLastDay,
        semantic: Bool = false,
        configuration: AppConfiguration = AppConfiguration(port: 0, bcryptCost: 4),
        arxiv: (any ArxivFetching)? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withApp(
            feedFiles: feedFiles,
            extraEntries: extraEntries,
            clock: clock,
            semantic: semantic,
            configuration: configuration,
            arxiv: arxiv
        ) { client, _ in try await body(client) }
    }

    /// The same, with the store behind the app (to check stored rows) and optional mail.
    static func withApp(
        feedFiles: [String] = fixtureFiles,
        extraEntries: [DailyEntry] = [],
        clock: any WallClock = noonAfterLastDay,
        semantic: Bool = false,
        configuration: AppConfiguration = AppConfiguration(port: 0, bcryptCost: 4),
        arxiv: (any ArxivFetching)? = nil,
        mail: DigestMail? = nil,
        _ body: @Sendable (any TestClientProtocol, any AppStore) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-web-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
        _ = try await Importer(store: store).importHFDaily(paths: feedFiles) { _ in }
        for entry in extraEntries {
            _ = try await store.importFeedDay(entry.day, entries: [entry])
        }
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let embedder: MiniLMTextEmbedder? = semantic ? try embedder.get() : nil
        let search = SearchEngine(store: store, embedder: embedder, logger: logger)
        try await search.load()
        let progress = EmbeddingProgress()
        if let embedder {
            try await EmbeddingBackfill(store: store, embedder: embedder, engine: search, progress: progress, logger: logger).runOnce()
        }
        let app = try await buildApplication(
            configuration: configuration,
            store: store,
            search: search,
            clock: clock,
            embeddingProgress: progress,
            arxiv: arxiv,
            mail: mail,
            logger: logger
        )
        try await app.test(.router) { client in try await body(client, store) }
    }
}

extension TestClientProtocol {
    /// GET a path; returns status, body text and headers.
    func get(_ uri: String) async throws -> (status: HTTPResponse.Status, body: String, headers: HTTPFields) {
        try await execute(uri: uri, method: .get) { response in
            (response.status, String(buffer: response.body), response.headers)
        }
    }
}

func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

/// The titles and HTML contents of an Atom document's entries, read by Foundation's XML parser
/// (so the document must be well-formed).
struct AtomEntries {
    var titles: [String] = []
    var contents: [String] = []

    init(_ xml: String) throws {
        let delegate = Collector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = delegate
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
        titles = delegate.titles
        contents = delegate.contents
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var titles: [String] = []
        var contents: [String] = []
        var inEntry = false
        var text = ""

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if name == "entry" { inEntry = true }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard inEntry else { return }
            if name == "title" { titles.append(text) }
            if name == "content" { contents.append(text) }
            if name == "entry" { inEntry = false }
        }
    }
}
