import ArgumentParser
import PaperboyWeb

/// What `serve` alone reads: where it listens, what readers may do, digests and metrics.
/// `paperboy config` takes them too, to show what `serve` would run with.
struct ServeOptions: ParsableArguments {
    @Option(name: Setting.digestTime.names, help: Setting.digestTime.help)
    var digestTime: String?

    @Option(name: Setting.hostname.names, help: Setting.hostname.help)
    var hostname: String?

    @Option(name: Setting.port.names, help: Setting.port.help)
    var port: Int?

    @Option(name: Setting.apiRateLimit.names, help: Setting.apiRateLimit.help)
    var apiRateLimit: Int?

    @Option(name: Setting.loginRateLimit.names, help: Setting.loginRateLimit.help)
    var loginRateLimit: Int?

    @Option(name: Setting.submissionMaxAgeDays.names, help: Setting.submissionMaxAgeDays.help)
    var submissionMaxAgeDays: Int?

    @Option(name: Setting.submissionsPerDay.names, help: Setting.submissionsPerDay.help)
    var submissionsPerDay: Int?

    @Option(name: Setting.arxivAPIURL.names, help: Setting.arxivAPIURL.help)
    var arxivAPIURL: String?

    @Option(name: Setting.publicURL.names, help: Setting.publicURL.help)
    var publicURL: String?

    @Option(name: Setting.trustedProxies.names, help: Setting.trustedProxies.help)
    var trustedProxies: String?

    @Option(name: Setting.metricsToken.names, help: Setting.metricsToken.help)
    var metricsToken: String?

    @Option(name: Setting.metricsPort.names, help: Setting.metricsPort.help)
    var metricsPort: Int?

    var flags: FlagValues {
        FlagValues(
            integers: [
                .port: port, .apiRateLimit: apiRateLimit, .loginRateLimit: loginRateLimit,
                .submissionMaxAgeDays: submissionMaxAgeDays, .submissionsPerDay: submissionsPerDay, .metricsPort: metricsPort,
            ],
            texts: [
                .digestTime: digestTime, .hostname: hostname, .arxivAPIURL: arxivAPIURL, .publicURL: publicURL,
                .trustedProxies: trustedProxies, .metricsToken: metricsToken,
            ]
        )
    }

    func validate() throws { try flags.validate() }
}

extension EffectiveSettings {
    /// The server's configuration; every value has passed the catalog's checks.
    func appConfiguration() throws -> AppConfiguration {
        let digestTime = string(.digestTime)
        var configuration = AppConfiguration(
            hostname: string(.hostname),
            port: int(.port),
            databasePath: databasePath,
            logLevel: level,
            publicURL: optionalString(.publicURL),
            loginRateLimit: .init(name: "login", quota: int(.loginRateLimit), window: 60),
            apiRateLimit: .init(name: "api", quota: int(.apiRateLimit), window: 60),
            arxivAPIURL: string(.arxivAPIURL),
            submissionMaxAgeDays: int(.submissionMaxAgeDays),
            submissionsPerDay: int(.submissionsPerDay),
            digestSendAt: digestTime == "off" ? nil : Serve.minutes(digestTime),
            trustedProxies: try TrustedProxies(list: optionalString(.trustedProxies) ?? "")
        )
        configuration.metricsToken = optionalString(.metricsToken).flatMap { $0.isEmpty ? nil : $0 }
        configuration.metricsPort = optionalInt(.metricsPort)
        applyLimits(to: &configuration)
        return configuration
    }
}
