import ArgumentParser
import Foundation
import Hummingbird
import PaperboyCore
import PaperboyWeb

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web pages and the JSON API.")

    @OptionGroup var options: StoreOptions

    @Option(name: .long, help: "Address to listen on (env PAPERBOY_HOSTNAME, default 127.0.0.1).")
    var hostname: String?

    @Option(name: .long, help: "Port to listen on (env PAPERBOY_PORT, default 8080).")
    var port: Int?

    @Option(name: .long, help: "Absolute base URL for generated links, e.g. https://papers.example.org (env PAPERBOY_PUBLIC_URL).")
    var publicURL: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = AppConfiguration(
            hostname: hostname ?? environment["PAPERBOY_HOSTNAME"] ?? "127.0.0.1",
            port: port ?? environment["PAPERBOY_PORT"].flatMap(Int.init) ?? 8080,
            databasePath: options.databasePath,
            logLevel: options.level,
            publicURL: publicURL ?? environment["PAPERBOY_PUBLIC_URL"])
        let logger = options.makeLogger("paperboy")
        let store = try options.openStore()
        let app = try await buildApplication(configuration: configuration, store: store, logger: logger)
        // runService installs SIGTERM/SIGINT handlers: in-flight requests finish, then we exit.
        try await app.runService()
    }
}
