import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyMail
import PaperboyStore

/// `paperboy digest send|preview`: the daily email from the command line.
struct Digest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the daily digest of trending papers.",
        subcommands: [Send.self]
    )

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a date's digest to every confirmed subscriber that has not had it (safe to re-run; resumes after a crash)."
        )

        @OptionGroup var options: StoreOptions
        @OptionGroup var mail: MailOptions

        @Option(name: .long, help: "Digest date, YYYY-MM-DD (default: today, UTC).")
        var date: String?

        @Option(name: Setting.publicURL.names, help: Setting.publicURL.help)
        var publicURL: String?

        @Option(name: .long, help: "Attempts per message before a temporary failure is final.")
        var maxAttempts = 5

        @Option(name: .long, help: "Seconds before the first retry; doubles with each attempt.")
        var retryDelay = 30.0

        @Option(name: .long, help: "Permanent refusals after which an address is disabled.")
        var disableAfter = 3

        @Flag(name: .long, help: "Leave temporary failures for a later run instead of waiting for their retries.")
        var noWait = false

        func validate() throws {
            if let date, FeedDay(date) == nil { throw ValidationError("--date must be YYYY-MM-DD") }
            if maxAttempts < 1 || disableAfter < 1 { throw ValidationError("--max-attempts and --disable-after must be at least 1") }
            if retryDelay < 0 { throw ValidationError("--retry-delay must not be negative") }
        }

        func run() async throws {
            let settings = try await options.settings(for: .digestSend, mail.flags, FlagValues(texts: [.publicURL: publicURL]))
            let logger = settings.makeLogger("paperboy")
            let publicURL = settings.optionalString(.publicURL) ?? Setting.digestLinkBase
            guard let mail = try settings.makeMail(publicURL: publicURL, logger: logger) else {
                throw CommandFailure("no mail server: pass --smtp-url smtp://user:pass@host:port or set PAPERBOY_SMTP_URL")
            }
            let store = try await settings.openStore()
            let search = try await Self.searchForPicks(settings, store: store, logger: logger)
            let policy = DeliveryPolicy(
                maxAttempts: maxAttempts,
                retryDelay: retryDelay,
                disableAfter: disableAfter,
                waitForRetries: !noWait
            )
            let sender = try await DigestSender.make(
                store: store,
                engine: search,
                settings: mail.settings,
                transports: mail.transports,
                policy: policy,
                logger: logger
            )
            let day = date.flatMap { FeedDay($0) } ?? FeedDay(timestamp: SystemClock().now)
            do {
                print(try await sender.run(date: day))
            } catch let error as DigestRunError {
                throw CommandFailure("\(error)")
            } catch let error as SMTPError {
                throw CommandFailure("stopped: \(error) (the run resumes where it stopped when started again)")
            }
        }

        /// The embeddings behind "picked for you"; without the model the digest has trending only.
        static func searchForPicks(_ settings: EffectiveSettings, store: any AppStore, logger: Logger) async throws -> SearchEngine? {
            switch settings.loadEmbedder(maximumConcurrency: 1) {
            case .success(let embedder):
                let search = SearchEngine(store: store, embedder: embedder, logger: logger)
                _ = try await search.load()
                return search
            case .failure(let error):
                logger.warning("no picks for you in this digest: \(error)")
                return nil
            }
        }
    }
}
