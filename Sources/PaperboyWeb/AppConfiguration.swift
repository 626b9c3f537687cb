import Logging
import PaperboyApp
import PaperboyCore

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
    /// Mark cookies `Secure`; on by default when `publicURL` is https.
    public var secureCookies: Bool
    /// bcrypt cost for new passwords (12; tests use the minimum, 4, to stay fast).
    public var bcryptCost: UInt8
    /// Log-in and sign-up attempts per client address.
    public var loginRateLimit: RateLimiter.Policy
    /// JSON API requests per client address.
    public var apiRateLimit: RateLimiter.Policy
    /// The arXiv API endpoint submissions fetch metadata from.
    public var arxivAPIURL: String
    /// Oldest paper (days since publication) a reader may put on the feed.
    public var submissionMaxAgeDays: Int
    public var submissionsPerDay: Int
    /// When the digest service sends the day's digest, in minutes after midnight UTC; nil: the
    /// server does not send digests (the `paperboy digest send` command still does).
    public var digestSendAt: Int?
    /// How often the digest service looks whether the digest is due (or left unfinished by a
    /// node that died).
    public var digestCheckInterval: Duration = .seconds(60)
    /// Subscribe requests per client address.
    public var subscribeRateLimit: RateLimiter.Policy
    public var deliveryPolicy: DeliveryPolicy
    /// Reverse proxies whose `X-Forwarded-For` names the client for rate limits, and whose
    /// `X-Forwarded-Proto: https` makes cookies `Secure`; nobody by default.
    public var trustedProxies: TrustedProxies

    /// Request deadlines and the connection cap (slow clients cannot hold the server).
    public var connectionLimits = ConnectionLimits()
    /// Host names absolute links may be built from when there is no `publicURL`; a request
    /// naming any other host gets links to the listen address, so a forged `Host` header
    /// never reaches a feed or an email.
    public var allowedHosts: [String] = []
    /// The most time one submission may spend on arXiv, all attempts included.
    public var arxivTimeout: Duration = .seconds(10)
    /// Query embeddings computed at once, and how many more may wait, before search answers 503.
    public var searchConcurrency = SearchAdmission.Limits()
    /// The bearer token `/metrics` asks for on the public port; without one it is not there (404).
    public var metricsToken: String?
    /// A second port, on the same address, that serves only `/metrics` (no token unless one is
    /// set); nil: none.
    public var metricsPort: Int?

    public init(
        hostname: String = "127.0.0.1",
        port: Int = 8080,
        databasePath: String = "paperboy.sqlite",
        logLevel: Logger.Level = .info,
        trendingWindowDays: Int = 7,
        publicURL: String? = nil,
        secureCookies: Bool? = nil,
        bcryptCost: UInt8 = 12,
        loginRateLimit: RateLimiter.Policy = .init(name: "login", quota: 10, window: 60),
        apiRateLimit: RateLimiter.Policy = .init(name: "api", quota: 600, window: 60, sharing: .reported(interval: 0.25)),
        arxivAPIURL: String = "https://export.arxiv.org/api/query",
        submissionMaxAgeDays: Int = 14,
        submissionsPerDay: Int = 5,
        digestSendAt: Int? = nil,
        subscribeRateLimit: RateLimiter.Policy = .init(name: "subscribe", quota: 10, window: 600),
        deliveryPolicy: DeliveryPolicy = DeliveryPolicy(waitForRetries: false),
        trustedProxies: TrustedProxies = TrustedProxies()
    ) {
        self.hostname = hostname
        self.port = port
        self.databasePath = databasePath
        self.logLevel = logLevel
        self.trendingWindowDays = trendingWindowDays
        self.publicURL = publicURL
        self.secureCookies = secureCookies ?? (publicURL?.hasPrefix("https://") ?? false)
        self.bcryptCost = bcryptCost
        self.loginRateLimit = loginRateLimit
        self.apiRateLimit = apiRateLimit
        self.arxivAPIURL = arxivAPIURL
        self.submissionMaxAgeDays = submissionMaxAgeDays
        self.submissionsPerDay = submissionsPerDay
        self.digestSendAt = digestSendAt
        self.subscribeRateLimit = subscribeRateLimit
        self.deliveryPolicy = deliveryPolicy
        self.trustedProxies = trustedProxies
    }
}
