import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// The digest as a service of the server: once a minute it sends confirmations still owed
/// and, from the configured UTC time on, the day's digest (a no-op once it is sent, so a
/// restart or a second instance never sends it again; readers confirmed later that day
/// still get it).
public struct DigestScheduler: Service {
    let sender: DigestSender
    let subscriptions: SubscriptionService
    /// Minutes after midnight UTC.
    let sendAt: Int
    let clock: any WallClock
    let logger: Logger
    /// Between ticks: how soon a due digest starts, and how soon another node resumes the run
    /// of one that died.
    let interval: Duration

    public init(
        sender: DigestSender,
        subscriptions: SubscriptionService,
        sendAt: Int,
        interval: Duration = .seconds(60),
        clock: any WallClock,
        logger: Logger
    ) {
        self.sender = sender
        self.subscriptions = subscriptions
        self.sendAt = sendAt
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        try await stopQuietlyOnShutdown {
            while !Task.isCancelled {
                await tick()
                try await clock.sleep(for: interval)
            }
        }
    }

    func tick() async {
        do {
            let sent = try await subscriptions.sendOwedConfirmations()
            if sent > 0 { logger.info("sent owed confirmation emails", metadata: ["count": "\(sent)"]) }
        } catch {
            logger.error("sending owed confirmations failed", metadata: ["error": "\(error)"])
        }
        let now = clock.now
        let today = FeedDay(timestamp: now)
        guard now >= today.startTimestamp + Double(sendAt * 60) else { return }
        do {
            let report = try await sender.run(date: today)
            if report.sent > 0 || report.enqueued > 0 { logger.info("\(report)") }
        } catch let error as DigestRunError {
            logger.debug("\(error)")
        } catch is CancellationError {
            return
        } catch {
            logger.error("the digest run failed; it resumes on the next tick", metadata: ["error": "\(error)"])
        }
    }
}
