import Logging
import PaperboyIngest

/// The one place the command line makes the live upstream clients (`sync` and `serve`).
enum UpstreamClients {
    static func hfDaily(endpoint: String, token: String?, logger: Logger) -> any HFDailyFetching {
        HFDailyClient(endpoint: endpoint, token: token, logger: logger)
    }

    /// - Parameter spacing: nil keeps arXiv's rule of one request every 3 seconds.
    static func oaiPMH(baseURL: String, spacing: Duration?, logger: Logger) -> any OAIPMHFetching {
        OAIPMHClient(baseURL: baseURL, spacing: spacing ?? .seconds(3), logger: logger)
    }
}
