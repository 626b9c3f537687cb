import Logging

/// Everything the server needs to know, read once by the command line (flags, then
/// environment, then defaults) and passed in. Nothing else reads the environment.
public struct AppConfiguration: Sendable {
    public var hostname: String
    public var port: Int
    public var databasePath: String
    public var logLevel: Logger.Level
    /// Feed days counted back from the latest one that trending considers.
    public var trendingWindowDays: Int
    /// Absolute base URL for links that must be absolute (API pagination); derived from the
    /// request's Host header when nil.
    public var publicURL: String?

    public init(
        hostname: String = "127.0.0.1", port: Int = 8080, databasePath: String = "paperboy.sqlite",
        logLevel: Logger.Level = .info, trendingWindowDays: Int = 7, publicURL: String? = nil
    ) {
        self.hostname = hostname
        self.port = port
        self.databasePath = databasePath
        self.logLevel = logLevel
        self.trendingWindowDays = trendingWindowDays
        self.publicURL = publicURL
    }
}
