import ArgumentParser
import Foundation

/// How much a client may ask of the server: request deadlines, open connections, the arXiv
/// budget of a submission, the search queue, and which Host headers links may be built from.
struct ServerLimitOptions: ParsableArguments {
    @Option(name: Setting.headerTimeout.names, help: Setting.headerTimeout.help)
    var headerTimeout: Int?

    @Option(name: Setting.bodyTimeout.names, help: Setting.bodyTimeout.help)
    var bodyTimeout: Int?

    @Option(name: Setting.idleTimeout.names, help: Setting.idleTimeout.help)
    var idleTimeout: Int?

    @Option(name: Setting.maxConnections.names, help: Setting.maxConnections.help)
    var maxConnections: Int?

    @Option(name: Setting.arxivTimeout.names, help: Setting.arxivTimeout.help)
    var arxivTimeout: Int?

    @Option(name: Setting.searchConcurrency.names, help: Setting.searchConcurrency.help)
    var searchConcurrency: Int?

    @Option(name: Setting.searchQueue.names, help: Setting.searchQueue.help)
    var searchQueue: Int?

    @Option(name: Setting.searchIndex.names, help: Setting.searchIndex.help)
    var searchIndex: String?

    @Option(name: Setting.allowedHosts.names, help: Setting.allowedHosts.help)
    var allowedHosts: String?

    var flags: FlagValues {
        FlagValues(
            integers: [
                .headerTimeout: headerTimeout, .bodyTimeout: bodyTimeout, .idleTimeout: idleTimeout, .maxConnections: maxConnections,
                .arxivTimeout: arxivTimeout, .searchConcurrency: searchConcurrency, .searchQueue: searchQueue,
            ],
            texts: [.allowedHosts: allowedHosts, .searchIndex: searchIndex]
        )
    }

    func validate() throws { try flags.validate() }
}
