import Foundation
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// The sync settings' rules, and what `sync` and `serve` make of them.
enum SyncSettings {
    /// `30` → 30 minutes; `off` → 0 (disabled); anything else nil.
    static func minutes(_ text: String) -> Int? {
        if text == "off" { return 0 }
        guard let minutes = Int(text), minutes >= 1 else { return nil }
        return minutes
    }

    /// `cs, stat` → ["cs", "stat"].
    static func sets(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), url.host?.isEmpty == false else { return false }
        return scheme == "http" || scheme == "https"
    }
}

extension EffectiveSettings {
    /// Checked against the catalog when read.
    var metadataPrefix: OAIMetadataPrefix { OAIMetadataPrefix(rawValue: string(.oaiMetadataPrefix)) ?? .arXiv }

    func hfDailySync(store: any AppStore, clock: any WallClock, logger: Logger) -> HFDailySync {
        let client = UpstreamClients.hfDaily(endpoint: string(.hfEndpoint), token: optionalString(.hfToken), logger: logger)
        var sync = HFDailySync(store: store, fetcher: client, clock: clock)
        sync.firstSyncDays = int(.hfFirstSyncDays)
        return sync
    }

    func arxivHarvest(store: any AppStore, clock: any WallClock, spacing: Duration? = nil, logger: Logger) -> ArxivHarvest {
        let client = UpstreamClients.oaiPMH(baseURL: string(.oaiEndpoint), spacing: spacing, logger: logger)
        return ArxivHarvest(store: store, fetcher: client, clock: clock, sets: SyncSettings.sets(string(.arxivSets)), metadataPrefix: metadataPrefix)
    }

    /// `serve`'s sync jobs: Hugging Face every `hf-sync-interval` minutes (jitter up to a tenth
    /// of it), the arXiv harvest daily at `arxiv-sync-time` (jitter up to 10 minutes); `off`
    /// leaves a job out.
    func syncJobs(store: any AppStore, clock: any WallClock, logger: Logger) -> [SyncJob] {
        var jobs: [SyncJob] = []
        let rejections = logger
        if let minutes = SyncSettings.minutes(string(.hfSyncInterval)), minutes > 0 {
            let sync = hfDailySync(store: store, clock: clock, logger: logger)
            jobs.append(
                SyncJob(source: HFDailySync.source, timing: .every(.seconds(minutes * 60)), jitter: .seconds(minutes * 6)) { heartbeat in
                    try await sync.run(onRejection: { rejections.warning("\($0)") }, heartbeat: heartbeat)
                }
            )
        }
        if let minutes = Serve.minutes(string(.arxivSyncTime)) {
            let harvest = arxivHarvest(store: store, clock: clock, logger: logger)
            jobs.append(
                SyncJob(source: ArxivHarvest.source, timing: .daily(minutesUTC: minutes), jitter: .seconds(600)) { heartbeat in
                    try await harvest.run(onRejection: { rejections.warning("\($0)") }, heartbeat: heartbeat)
                }
            )
        }
        return jobs
    }
}
