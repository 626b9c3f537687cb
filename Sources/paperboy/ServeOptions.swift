import ArgumentParser

/// What `serve` alone reads: where it listens, what readers may do, digests and metrics.
/// `paperboy config` takes them too, to show what `serve` would run with.
struct ServeOptions: ParsableArguments {
    @Option(name: Setting.digestTime.names, help: Setting.digestTime.help)
    var digestTime: String?

    @Option(name: Setting.digestCheckInterval.names, help: Setting.digestCheckInterval.help)
    var digestCheckInterval: Int?

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
                .digestCheckInterval: digestCheckInterval,
            ],
            texts: [
                .digestTime: digestTime, .hostname: hostname, .arxivAPIURL: arxivAPIURL, .publicURL: publicURL,
                .trustedProxies: trustedProxies, .metricsToken: metricsToken,
            ]
        )
    }

    func validate() throws { try flags.validate() }
}
