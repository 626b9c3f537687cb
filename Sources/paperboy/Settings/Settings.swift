import Foundation
import Logging
import PaperboyCore
import PaperboyIngest

/// The catalog: every setting the commands read, each fact about it written here once.
/// A flag wins over the environment, which wins over the config file, which wins over the default.
extension Setting {
    static let catalog: [Setting] = [
        configFile, database, logLevel, modelDirectory,
        hostname, port, publicURL, allowedHosts, trustedProxies,
        apiRateLimit, loginRateLimit, submissionMaxAgeDays, submissionsPerDay, arxivAPIURL, arxivTimeout,
        headerTimeout, bodyTimeout, idleTimeout, maxConnections, searchConcurrency, searchQueue, searchIndex,
        smtpURL, mailFrom, smtpCAFile, smtpConnections, digestPapers, digestTime, digestCheckInterval,
        metricsToken, metricsPort,
        hfEndpoint, hfToken, hfSyncInterval, hfFirstSyncDays, arxivSyncTime, arxivSets, oaiEndpoint, oaiMetadataPrefix,
    ]

    /// The settings `command` reads; `paperboy config` shows them all.
    static func used(by command: Command) -> [Setting] { catalog.filter { $0.isUsed(by: command) } }

    /// Where `digest send` points its links when no public URL is set: the server's default address.
    static let digestLinkBase = "http://localhost:8080"

    // MARK: Every command

    /// Names the file, so it can only come from a flag or the environment.
    static let configFile = Setting(
        "config",
        .text,
        default: .unset("none"),
        usedBy: [.every],
        help: "JSON file of settings: an object with the keys paperboy config lists; flags and the environment win over it"
    )
    static let database = Setting(
        "database",
        .text,
        default: "paperboy.sqlite",
        usedBy: [.every],
        help:
            "The store: a SQLite file path, sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DATABASE (?sslmode=disable|prefer|require|verify-full, ?pool=connections, default 20) for several nodes on one PostgreSQL"
    )
    static let logLevel = Setting(
        "log-level",
        .text,
        default: "info",
        usedBy: [.every],
        check: .text { _, text in Logger.Level(rawValue: text.lowercased()) == nil ? "unknown log level “\(text)”" : nil },
        help: "Log level: trace, debug, info, notice, warning, error or critical"
    )
    static let modelDirectory = Setting(
        "model-dir",
        .text,
        default: ".models/all-MiniLM-L6-v2",
        usedBy: [.every],
        help: "Folder with the MiniLM model.safetensors and vocab.txt"
    )

    // MARK: The server

    static let hostname = Setting("hostname", .text, default: "127.0.0.1", usedBy: [.serve], help: "Address to listen on")
    static let port = Setting("port", .integer, default: 8080, usedBy: [.serve], check: .within(0...65535), help: "Port to listen on")
    static let publicURL = Setting(
        "public-url",
        .text,
        default: .unset("none: from the Host header (see --allowed-hosts); digest send: \(digestLinkBase)"),
        usedBy: [.serve, .digestSend],
        help: "Absolute base URL for API links, feeds and emails, e.g. https://papers.example.org"
    )
    static let allowedHosts = Setting(
        "allowed-hosts",
        .text,
        default: .unset("none"),
        usedBy: [.serve],
        help:
            "Comma-separated host names absolute links may take from the Host header when --public-url is not set; any other Host gets the listen address"
    )
    static let trustedProxies = Setting(
        "trusted-proxies",
        .text,
        default: .unset("none"),
        usedBy: [.serve],
        check: .text { name, text in
            do {
                _ = try TrustedProxies(list: text)
                return nil
            } catch {
                return "\(name): \(error)"
            }
        },
        help: "Comma-separated IP addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed"
    )

    // MARK: What readers may do

    static let apiRateLimit = Setting(
        "api-rate-limit",
        .integer,
        default: 600,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "API requests allowed a minute, per token or else per address"
    )
    static let loginRateLimit = Setting(
        "login-rate-limit",
        .integer,
        default: 10,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Log-in and sign-up attempts allowed a minute per address"
    )
    static let submissionMaxAgeDays = Setting(
        "submission-max-age-days",
        .integer,
        default: 14,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Oldest paper, in days since publication, readers may submit"
    )
    static let submissionsPerDay = Setting(
        "submissions-per-day",
        .integer,
        default: 5,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Submissions per reader per day"
    )
    static let arxivAPIURL = Setting(
        "arxiv-api-url",
        .text,
        aliases: ["api-url"],
        default: "https://export.arxiv.org/api/query",
        usedBy: [.serve, .fetchArxiv],
        help: "arXiv API endpoint for submissions and fetch arxiv"
    )
    static let arxivTimeout = Setting(
        "arxiv-timeout",
        .integer,
        default: 10,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Seconds a submission may wait for arXiv, all retries included; then 504"
    )

    // MARK: What clients may ask of the server

    static let headerTimeout = Setting(
        "header-timeout",
        .integer,
        default: 5,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Seconds a client has to send a request's headers, counted from its first byte; then 408"
    )
    static let bodyTimeout = Setting(
        "body-timeout",
        .integer,
        default: 30,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Seconds a client has to send a request's body once its headers are in; then 408"
    )
    static let idleTimeout = Setting(
        "idle-timeout",
        .integer,
        default: 30,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Seconds an idle keep-alive connection stays open"
    )
    static let maxConnections = Setting(
        "max-connections",
        .integer,
        default: 512,
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Open connections before the longest-waiting idle or slow one is closed for a newcomer"
    )
    static let searchConcurrency = Setting(
        "search-concurrency",
        .integer,
        default: .computed("the number of cores") { .int(ProcessInfo.processInfo.activeProcessorCount) },
        usedBy: [.serve],
        check: .atLeast(1),
        help: "Searches that embed the query at once"
    )
    static let searchQueue = Setting(
        "search-queue",
        .integer,
        default: 32,
        usedBy: [.serve],
        check: .atLeast(0),
        help: "Searches that may wait for those while the expected wait stays under 10 ms; more are answered 503 with Retry-After: 1"
    )
    static let searchIndex = Setting(
        "search-index",
        .text,
        default: .unset("DATABASE.search-index beside a SQLite file; none for PostgreSQL"),
        usedBy: [.serve],
        help:
            "File the search index is kept in between runs, so a start reads it and loads only what changed instead of rebuilding from the database; off for none"
    )

    // MARK: Mail

    static let smtpURL = Setting(
        "smtp-url",
        .text,
        default: .unset("none: no mail is sent"),
        secret: true,
        usedBy: [.serve, .digestSend],
        help: "Mail server, smtp://user:pass@host:587 or smtps://user:pass@host:465; ?starttls=required|opportunistic|off"
    )
    /// `--from` on the command line; the environment has long called it `PAPERBOY_MAIL_FROM`.
    static let mailFrom = Setting(
        "mail-from",
        .text,
        flag: "from",
        default: "Paperboy <digest@localhost>",
        usedBy: [.serve, .digestSend],
        help: "Sender of digests and confirmations, e.g. 'Paperboy <digest@papers.example.org>'"
    )
    static let smtpCAFile = Setting(
        "smtp-ca-file",
        .text,
        default: .unset("the system's trusted roots"),
        usedBy: [.serve, .digestSend],
        help: "Trust only this PEM certificate (or CA) for the mail server's TLS"
    )
    static let smtpConnections = Setting(
        "smtp-connections",
        .integer,
        default: 4,
        usedBy: [.serve, .digestSend],
        check: .within(1...32),
        help: "Parallel SMTP connections a digest run uses"
    )
    static let digestPapers = Setting(
        "digest-papers",
        .integer,
        default: 10,
        usedBy: [.serve, .digestSend],
        check: .within(1...50),
        help: "Trending papers per digest"
    )
    static let digestTime = Setting(
        "digest-time",
        .text,
        default: "07:00",
        usedBy: [.serve],
        check: .text { name, text in text == "off" || Serve.minutes(text) != nil ? nil : "\(name) must be HH:MM (UTC) or off" },
        help: "When serve sends the daily digest, HH:MM UTC, or off; needs --smtp-url"
    )
    static let digestCheckInterval = Setting(
        "digest-check-interval",
        .integer,
        default: 60,
        usedBy: [.serve],
        check: .within(1...3600),
        help:
            "Seconds between a node's checks whether the digest is due; also how soon a node takes over the run of a node that died (with several nodes, one sends at a time)"
    )

    // MARK: Metrics

    static let metricsToken = Setting(
        "metrics-token",
        .text,
        default: .unset("none"),
        secret: true,
        usedBy: [.serve],
        help:
            "Bearer token /metrics asks for on the public port, which has no /metrics without one; better set in the environment or the config file, as flags show in ps"
    )
    static let metricsPort = Setting(
        "metrics-port",
        .integer,
        default: .unset("off"),
        usedBy: [.serve],
        check: .within(1...65535),
        help: "Also serve /metrics on this port of the same address, without a token unless one is set"
    )

    // MARK: Following the upstreams

    static let hfEndpoint = Setting(
        "hf-endpoint",
        .text,
        default: "https://huggingface.co",
        usedBy: [.serve, .syncHFDaily],
        check: .text { name, text in SyncSettings.isHTTPURL(text) ? nil : "\(name) must be an http or https URL" },
        alsoFromEnvironment: "HF_ENDPOINT",
        help: "Hugging Face (or a mirror of it) whose /api/daily_papers the sync follows"
    )
    static let hfToken = Setting(
        "hf-token",
        .text,
        default: .unset("none: anonymous"),
        secret: true,
        usedBy: [.serve, .syncHFDaily],
        alsoFromEnvironment: "HF_TOKEN",
        help: "Hugging Face access token sent as a bearer token, for higher rate limits"
    )
    static let hfSyncInterval = Setting(
        "hf-sync-interval",
        .text,
        default: "30",
        usedBy: [.serve],
        check: .text { name, text in SyncSettings.minutes(text) != nil ? nil : "\(name) must be a number of minutes (1 or more) or off" },
        help: "Minutes between serve's syncs of the Hugging Face daily papers, or off"
    )
    static let hfFirstSyncDays = Setting(
        "hf-first-sync-days",
        .integer,
        default: 7,
        usedBy: [.serve, .syncHFDaily],
        check: .within(1...3660),
        help:
            "Days back the first Hugging Face sync fetches when the store has no feed day yet; a store with imported days catches up from its latest one"
    )
    static let arxivSyncTime = Setting(
        "arxiv-sync-time",
        .text,
        default: "03:30",
        usedBy: [.serve],
        check: .text { name, text in text == "off" || Serve.minutes(text) != nil ? nil : "\(name) must be HH:MM (UTC) or off" },
        help: "When serve harvests new and updated arXiv papers each day, HH:MM UTC, or off"
    )
    static let arxivSets = Setting(
        "arxiv-sets",
        .text,
        aliases: ["set"],
        default: "cs",
        usedBy: [.serve, .syncArxiv],
        check: .text { name, text in SyncSettings.sets(text).isEmpty ? "\(name) must name at least one OAI-PMH set, e.g. cs" : nil },
        help: "Comma-separated arXiv OAI-PMH sets the harvest follows, e.g. cs or cs,stat"
    )
    static let oaiEndpoint = Setting(
        "oai-endpoint",
        .text,
        default: "https://oaipmh.arxiv.org/oai",
        usedBy: [.serve, .syncArxiv],
        check: .text { name, text in SyncSettings.isHTTPURL(text) ? nil : "\(name) must be an http or https URL" },
        help: "arXiv's OAI-PMH endpoint for the harvest"
    )
    static let oaiMetadataPrefix = Setting(
        "oai-metadata-prefix",
        .text,
        default: "arXiv",
        usedBy: [.serve, .syncArxiv],
        check: .text { name, text in
            OAIMetadataPrefix(rawValue: text) == nil ? "\(name) must be arXiv, arXivRaw or oai_dc" : nil
        },
        help: "Metadata format the harvest asks for: arXiv, arXivRaw or oai_dc"
    )
}
