import ArgumentParser
import Foundation
import Logging
import MiniLM
import PaperboyApp
import PaperboyStore
import PaperboyStoreFactory

/// Options every command shares, and the one place a command's settings are read: a flag wins
/// over the environment, which wins over the config file, which wins over the default.
struct StoreOptions: ParsableArguments {
    @Option(name: Setting.configFile.names, help: Setting.configFile.help)
    var config: String?

    @Option(name: Setting.database.names, help: Setting.database.help)
    var database: String?

    @Option(name: Setting.logLevel.names, help: Setting.logLevel.help)
    var logLevel: String?

    @Option(name: Setting.modelDirectory.names, help: Setting.modelDirectory.help)
    var modelDir: String?

    var flags: FlagValues {
        FlagValues(texts: [.configFile: config, .database: database, .logLevel: logLevel, .modelDirectory: modelDir])
    }

    func validate() throws { try flags.validate() }

    /// The settings `command` reads, from these flags and `more` (the command's other options),
    /// the environment, the config file and the defaults; a bad value ends the command here.
    func settings(for command: Setting.Command = .every, _ more: FlagValues...) async throws -> EffectiveSettings {
        try await EffectiveSettings.read(Setting.used(by: command), flags: more.reduce(flags) { $0.merging($1) })
    }
}

/// What every command makes of the shared settings.
extension EffectiveSettings {
    var databasePath: String { string(.database) }

    /// Where `serve` keeps its search index (`--search-index`): by default beside a SQLite
    /// database file; none for PostgreSQL, whose nodes name a local file themselves.
    var searchIndexFile: String? {
        if let path = optionalString(.searchIndex) { return path == "off" || path.isEmpty ? nil : path }
        guard case .sqlite(let path) = try? StoreLocation(databasePath), !path.hasPrefix(":") else { return nil }
        return path + ".search-index"
    }

    /// Checked against the catalog when read.
    var level: Logger.Level { Logger.Level(rawValue: string(.logLevel).lowercased())! }

    var modelDirectory: URL { URL(fileURLWithPath: string(.modelDirectory)) }

    /// The sentence embedder, or nil (with the reason) when its files are missing.
    func loadEmbedder(
        maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
        precision: MiniLMEmbedder.Precision = MiniLMEmbedder.defaultPrecision
    ) -> Result<MiniLMTextEmbedder, Error> {
        Result { try MiniLMTextEmbedder(modelDirectory: modelDirectory, precision: precision, maximumConcurrency: maximumConcurrency) }
    }

    func makeLogger(_ label: String) -> Logger {
        let level = self.level
        return Logger(label: label) { StructuredLogHandler(label: $0, level: level) }
    }

    /// Opens the store `--database` names (a path, `sqlite:PATH`, `postgres://…`) or ends the
    /// command with a one-line reason and a non-zero status.
    func openStore() async throws -> any AppStore {
        do {
            return try await StoreFactory.open(databasePath, logger: makeLogger("paperboy.postgres"))
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
