import ArgumentParser
import Foundation
import Logging
import MiniLM
import PaperboyApp
import PaperboyStore
import PaperboyStoreFactory

/// Options every command shares. This is the one place configuration is read:
/// a flag wins over the environment, which wins over the default.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store: a SQLite file path or sqlite:PATH (env PAPERBOY_DATABASE, default ./paperboy.sqlite).")
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (env PAPERBOY_LOG_LEVEL).")
    var logLevel: String?

    var databasePath: String {
        database ?? ProcessInfo.processInfo.environment["PAPERBOY_DATABASE"] ?? "paperboy.sqlite"
    }

    var level: Logger.Level {
        let text = logLevel ?? ProcessInfo.processInfo.environment["PAPERBOY_LOG_LEVEL"] ?? "info"
        return Logger.Level(rawValue: text.lowercased()) ?? .info
    }

    func validate() throws {
        let text = logLevel ?? ProcessInfo.processInfo.environment["PAPERBOY_LOG_LEVEL"] ?? "info"
        guard Logger.Level(rawValue: text.lowercased()) != nil else {
            throw ValidationError("unknown log level “\(text)”")
        }
    }

    @Option(name: .long, help: "Folder with the MiniLM model.safetensors and vocab.txt (env PAPERBOY_MODEL_DIR, default ./.models/all-MiniLM-L6-v2).")
    var modelDir: String?

    var modelDirectory: URL {
        URL(fileURLWithPath: modelDir ?? ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"] ?? ".models/all-MiniLM-L6-v2")
    }

    /// The sentence embedder, or nil (with the reason) when its files are missing.
    func loadEmbedder(maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount) -> Result<MiniLMTextEmbedder, Error> {
        Result { try MiniLMTextEmbedder(modelDirectory: modelDirectory, maximumConcurrency: maximumConcurrency) }
    }

    func makeLogger(_ label: String) -> Logger {
        let level = self.level
        return Logger(label: label) { StructuredLogHandler(label: $0, level: level) }
    }

    /// Opens the store `--database` names (a path, `sqlite:PATH`) or ends the command with a
    /// one-line reason and a non-zero status.
    func openStore() throws -> any AppStore {
        do {
            return try StoreFactory.open(databasePath)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

/// A fatal problem: printed as one line on stderr, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension CommandFailure: LocalizedError {
    var errorDescription: String? { description }
}
