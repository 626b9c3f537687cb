import ArgumentParser

/// What `serve`'s sync scheduler reads: the upstreams, when each is followed, which arXiv sets.
/// `paperboy config` takes them too, to show what `serve` would run with.
struct SyncOptions: ParsableArguments {
    @Option(name: Setting.hfEndpoint.names, help: Setting.hfEndpoint.help)
    var hfEndpoint: String?

    @Option(name: Setting.hfToken.names, help: Setting.hfToken.help)
    var hfToken: String?

    @Option(name: Setting.hfSyncInterval.names, help: Setting.hfSyncInterval.help)
    var hfSyncInterval: String?

    @Option(name: Setting.hfFirstSyncDays.names, help: Setting.hfFirstSyncDays.help)
    var hfFirstSyncDays: Int?

    @Option(name: Setting.arxivSyncTime.names, help: Setting.arxivSyncTime.help)
    var arxivSyncTime: String?

    @Option(name: Setting.arxivSets.names, help: Setting.arxivSets.help)
    var arxivSets: String?

    @Option(name: Setting.oaiEndpoint.names, help: Setting.oaiEndpoint.help)
    var oaiEndpoint: String?

    @Option(name: Setting.oaiMetadataPrefix.names, help: Setting.oaiMetadataPrefix.help)
    var oaiMetadataPrefix: String?

    var flags: FlagValues {
        FlagValues(
            integers: [.hfFirstSyncDays: hfFirstSyncDays],
            texts: [
                .hfEndpoint: hfEndpoint, .hfToken: hfToken, .hfSyncInterval: hfSyncInterval, .arxivSyncTime: arxivSyncTime,
                .arxivSets: arxivSets, .oaiEndpoint: oaiEndpoint, .oaiMetadataPrefix: oaiMetadataPrefix,
            ]
        )
    }

    func validate() throws { try flags.validate() }
}
