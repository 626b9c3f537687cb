import Foundation
import PaperboyStore
import PaperboyStoreFactory

enum Fixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }

    /// The team's shared data folder, beside the repository, when this machine has it.
    static let sharedData: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static var hasSharedData: Bool {
        FileManager.default.fileExists(atPath: sharedData.appendingPathComponent("hf-daily-papers").path)
    }
}

/// A scratch directory with a fresh SQLite store, removed afterwards.
final class Scratch {
    let directory: URL
    let store: any AppStore

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try await StoreFactory.open(.sqlite(path: directory.appendingPathComponent("db.sqlite").path))
    }

    func file(_ name: String, _ contents: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url)
        return url.path
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
