import Foundation
import Logging
import PaperboyCore
import PaperboyMail
import PaperboyStore
import Synchronization

/// How hard delivery tries, and how it backs off.
public struct DeliveryPolicy: Sendable {
    /// Attempts per message before a temporary failure becomes final.
    public var maxAttempts: Int
    /// Delay before the first retry of a message; it doubles with each attempt.
    public var retryDelay: Double
    public var maxRetryDelay: Double
    /// Permanent refusals in a row after which an address is disabled.
    public var disableAfter: Int
    /// Messages composed (and logged as `sending`) per database transaction.
    public var batchSize: Int
    /// Seconds the lease lasts without renewal; a crashed sender blocks others this long at most
    /// (less on the same machine, where a dead process is noticed at once).
    public var leaseDuration: Double
    /// Keep running until no retry is left (the command line); the service comes back later instead.
    public var waitForRetries: Bool
    /// Temporary failures in a row, with no message accepted in between, after which the run
    /// stops (the server is down or refusing everything); the next run resumes.
    public var giveUpAfterFailuresInARow = 10
    /// The longest pause between messages after a temporary failure.
    public var maxPause: Double = 30

    public init(
        maxAttempts: Int = 5,
        retryDelay: Double = 30,
        maxRetryDelay: Double = 1800,
        disableAfter: Int = 3,
        batchSize: Int = 100,
        leaseDuration: Double = 120,
        waitForRetries: Bool = true
    ) {
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
        self.disableAfter = disableAfter
        self.batchSize = batchSize
        self.leaseDuration = leaseDuration
        self.waitForRetries = waitForRetries
    }

    func delay(afterFailure count: Int) -> Double {
        min(retryDelay * pow(2, Double(max(0, count - 1))), maxRetryDelay)
    }
}

public struct DigestRunReport: Sendable, CustomStringConvertible {
    public var date: FeedDay
    /// Deliveries added to the log by this run (confirmed readers who had none for the date).
    public var enqueued = 0
    /// Messages the SMTP server accepted during this run.
    public var sent = 0
    /// The log for the date when the run ended.
    public var states: [DeliveryState: Int] = [:]
    public var disabled = 0
    public var seconds = 0.0

    public var description: String {
        let states = DeliveryState.allCases.map { "\($0.rawValue)=\(self.states[$0, default: 0])" }.joined(separator: " ")
        let rate = seconds > 0 ? Double(sent) / seconds : 0
        return "digest \(date): sent \(sent) in \(String(format: "%.2f", seconds)) s "
            + "(\(String(format: "%.0f", rate)) messages/s); log: \(states); disabled addresses: \(disabled)"
    }
}

public enum DigestRunError: Error, CustomStringConvertible, Equatable {
    /// Another instance is sending; it holds the lease.
    case leaseHeld(by: String)
    /// The lease was taken over while this run was paused for longer than its duration.
    case leaseLost
    /// Temporary failures kept coming with nothing accepted in between.
    case mailServerFailing(String)

    public var description: String {
        switch self {
        case .leaseHeld(let holder): return "another instance (\(holder)) is sending the digest; not sending twice"
        case .leaseLost: return "the digest lease was taken over by another instance; stopped sending"
        case .mailServerFailing(let last):
            return "the mail server keeps failing (last: \(last)); stopped sending, the next run resumes"
        }
    }
}

/// Sends one date's digest to every confirmed reader exactly once, resumably.
///
/// The delivery log makes it exactly-once: a delivery is composed (Message-ID and papers
/// fixed, state `sending`) before it is sent, and marked `sent` right after the server's 250.
/// A crash leaves `sending` rows that the next run sends again, with the same Message-ID. The
/// only message that can arrive twice is one the server accepted in the instant before the
/// crash, and then as the same message (same Message-ID), which mail stores de-duplicate.
public struct DigestSender: Sendable {
    let store: any PaperStore & AccountStore & DigestStore
    let composer: DigestComposer
    /// One per parallel SMTP connection.
    let transports: [any MailTransport]
    let policy: DeliveryPolicy
    let clock: any WallClock
    let metrics: AppMetrics
    let logger: Logger
    let identity: any ProcessIdentity
    let holder: String

    public static func make(
        store: any PaperStore & AccountStore & DigestStore,
        engine: SearchEngine?,
        settings: DigestSettings,
        transports: [any MailTransport],
        policy: DeliveryPolicy = DeliveryPolicy(),
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource(),
        identity: any ProcessIdentity = SystemProcessIdentity(),
        metrics: AppMetrics = AppMetrics(),
        logger: Logger
    ) async throws -> DigestSender {
        let composer = DigestComposer(
            store: store,
            engine: engine,
            templates: try DigestTemplates(),
            signer: LinkSigner(secret: try await store.instanceSecret(named: LinkSigner.secretName)),
            settings: settings,
            random: random
        )
        return DigestSender(
            store: store,
            composer: composer,
            transports: transports,
            policy: policy,
            clock: clock,
            random: random,
            identity: identity,
            metrics: metrics,
            logger: logger
        )
    }

    public init(
        store: any PaperStore & AccountStore & DigestStore,
        composer: DigestComposer,
        transports: [any MailTransport],
        policy: DeliveryPolicy,
        clock: any WallClock,
        random: any RandomSource = SystemRandomSource(),
        identity: any ProcessIdentity = SystemProcessIdentity(),
        metrics: AppMetrics,
        logger: Logger
    ) {
        precondition(!transports.isEmpty, "a digest sender needs a mail transport")
        self.store = store
        self.composer = composer
        self.transports = transports
        self.policy = policy
        self.clock = clock
        self.identity = identity
        self.holder = StoreLease.holderName(identity: identity, random: random)
        self.metrics = metrics
        self.logger = logger
    }

    private var now: Date { Date(timeIntervalSince1970: clock.now) }

    public func run(date: FeedDay) async throws -> DigestRunReport {
        let started = ContinuousClock.now
        let lease = StoreLease(
            store: store,
            name: "digest",
            holder: holder,
            duration: policy.leaseDuration,
            clock: clock,
            identity: identity
        )
        let current = try await lease.acquire()
        guard current == lease.holder else { throw DigestRunError.leaseHeld(by: current) }
        var report = DigestRunReport(date: date)
        do {
            try await send(date: date, lease: lease, report: &report)
        } catch {
            await closeTransports()
            try? await lease.release()
            throw error
        }
        await closeTransports()
        try await lease.release()
        report.states = try await store.deliveryCounts(date: date)
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    private func send(date: FeedDay, lease: StoreLease, report: inout DigestRunReport) async throws {
        // Ranked only once there is something to send: the service calls this every minute.
        var ranked: DigestEdition?
        report.enqueued = try await store.enqueueDigest(date: date, now: now)
        // The service calls this every minute; only a run with new readers is worth an info line.
        logger.log(
            level: report.enqueued > 0 ? .info : .debug,
            "digest run started",
            metadata: ["date": "\(date)", "enqueued": "\(report.enqueued)"]
        )
        let cache = RenderingCache()
        let failures = FailureStreak()
        while true {
            try Task.checkCancellation()
            guard try await lease.renew() else { throw DigestRunError.leaseLost }
            let due = try await store.dueDeliveries(date: date, now: now, limit: policy.batchSize)
            if due.isEmpty {
                guard policy.waitForRetries, let next = try await store.nextRetry(date: date) else { return }
                // Sleep in slices shorter than the lease, renewing it in between.
                let wait = min(max(0, next.timeIntervalSince(now)), policy.leaseDuration / 3)
                try await clock.sleep(for: .milliseconds(Int(wait * 1000) + 1))
                continue
            }
            let edition: DigestEdition
            if let ranked {
                edition = ranked
            } else {
                edition = try await composer.edition(for: date)
                ranked = edition
            }
            let ready = try await composed(due, edition: edition)
            // One lane per connection; each lane sends its share in order.
            let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
                for (lane, transport) in transports.enumerated() {
                    let share = stride(from: lane, to: ready.count, by: transports.count).map { ready[$0] }
                    guard !share.isEmpty else { continue }
                    group.addTask {
                        try await deliverInOrder(
                            share,
                            over: transport,
                            edition: edition,
                            cache: cache,
                            failures: failures,
                            lease: lease
                        )
                    }
                }
                var all: [Outcome] = []
                for try await outcomes in group { all += outcomes }
                return all
            }
            report.sent += outcomes.count { $0 == .sent }
            report.disabled += outcomes.count { $0 == .disabled }
        }
    }

    private func deliverInOrder(
        _ deliveries: [DigestDelivery],
        over transport: any MailTransport,
        edition: DigestEdition,
        cache: RenderingCache,
        failures: FailureStreak,
        lease: StoreLease
    ) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        var failuresInARow = 0
        for delivery in deliveries {
            if let last = failures.exceeded(policy.giveUpAfterFailuresInARow) {
                throw DigestRunError.mailServerFailing(last)
            }
            guard try await lease.renewIfDue() else { throw DigestRunError.leaseLost }
            let outcome = try await deliver(delivery, over: transport, edition: edition, cache: cache)
            outcomes.append(outcome)
            switch outcome {
            case .retry(let error):
                metrics.countDigestMessage(.retry)
                failures.record(error)
                // The server or the network is struggling: slow down before the next message.
                failuresInARow += 1
                let pause = min(policy.delay(afterFailure: failuresInARow), policy.maxPause)
                try await clock.sleep(for: .milliseconds(Int(pause * 1000)))
            case .sent:
                metrics.countDigestMessage(.sent)
                failures.reset()
                failuresInARow = 0
            case .failed, .disabled:
                metrics.countDigestMessage(.failed)
            }
        }
        return outcomes
    }

    private func closeTransports() async {
        for transport in transports { await transport.close() }
    }

    /// The deliveries with their content fixed in the log; readers with nothing new are skipped.
    private func composed(_ due: [DigestDelivery], edition: DigestEdition) async throws -> [DigestDelivery] {
        let fresh = due.filter { $0.messageID == nil }
        let sent = try await store.sentPaperIDs(subscriberIDs: fresh.map(\.subscriberID))
        var compositions: [DigestComposition] = []
        var ready = due.filter { $0.messageID != nil }
        for delivery in fresh {
            guard
                let composition = try await composer.compose(
                    delivery,
                    edition: edition,
                    alreadySent: sent[delivery.subscriberID] ?? []
                )
            else {
                try await store.markSkipped(
                    subscriberID: delivery.subscriberID,
                    date: delivery.date,
                    reason: "nothing new to send",
                    now: now
                )
                continue
            }
            compositions.append(composition)
            var composed = delivery
            composed.messageID = composition.messageID
            composed.paperIDs = composition.paperIDs
            composed.pickIDs = composition.pickIDs
            ready.append(composed)
        }
        try await store.markComposed(compositions, date: edition.date, now: now)
        return ready.sorted { $0.subscriberID < $1.subscriberID }
    }

    private enum Outcome: Equatable {
        case sent, failed, disabled
        case retry(String)
    }

    private func deliver(
        _ delivery: DigestDelivery,
        over transport: any MailTransport,
        edition: DigestEdition,
        cache: RenderingCache
    ) async throws -> Outcome {
        let subscriber = Subscriber(
            id: delivery.subscriberID,
            email: delivery.email,
            userID: delivery.userID,
            state: .confirmed,
            createdAt: ""
        )
        let date = delivery.date
        do {
            let key = DigestComposer.renderingKey(delivery)
            let rendered: RenderedDigest
            if let cached = cache[key] {
                rendered = cached
            } else {
                rendered = try await composer.rendered(delivery, edition: edition)
                cache[key] = rendered
            }
            let message = try composer.message(rendered, for: subscriber, messageID: delivery.messageID, now: now)
            try await transport.send(message)
        } catch let error as SMTPError where error.isTransient {
            let attempts = delivery.attempts + 1
            if attempts >= policy.maxAttempts {
                logger.warning("giving up on a digest", metadata: ["to": "\(delivery.email)", "error": "\(error)"])
                _ = try await store.markFailed(
                    subscriberID: delivery.subscriberID,
                    date: date,
                    error: "\(error)",
                    permanent: false,
                    disableAfter: policy.disableAfter,
                    now: now
                )
                return .failed
            }
            let next = now.addingTimeInterval(policy.delay(afterFailure: attempts))
            logger.notice(
                "digest delivery will be retried",
                metadata: ["to": "\(delivery.email)", "attempt": "\(attempts)", "error": "\(error)"]
            )
            try await store.markRetry(
                subscriberID: delivery.subscriberID,
                date: date,
                error: "\(error)",
                nextAttempt: next,
                now: now
            )
            return .retry("\(error)")
        } catch let error as SMTPError {
            guard case .permanent = error else { throw error }  // TLS, AUTH, protocol: needs a person
            return try await refuse(delivery, reason: "\(error)")
        } catch let error as MailMessageError {
            return try await refuse(delivery, reason: "\(error)")
        }
        try await store.markSent(subscriberID: delivery.subscriberID, date: date, now: now)
        return .sent
    }

    /// A permanent refusal: the delivery fails, and repeated refusals disable the address.
    private func refuse(_ delivery: DigestDelivery, reason: String) async throws -> Outcome {
        let disabled = try await store.markFailed(
            subscriberID: delivery.subscriberID,
            date: delivery.date,
            error: reason,
            permanent: true,
            disableAfter: policy.disableAfter,
            now: now
        )
        logger.warning(
            disabled ? "address disabled after repeated refusals" : "digest refused by the mail server",
            metadata: ["to": "\(delivery.email)", "error": "\(reason)"]
        )
        return disabled ? .disabled : .failed
    }
}

/// Temporary failures in a row across all connections of a run, with the last error.
public final class FailureStreak: Sendable {
    private let state = Mutex<(count: Int, last: String)>((0, ""))

    func record(_ error: String) { state.withLock { $0 = ($0.count + 1, error) } }
    func reset() { state.withLock { $0.count = 0 } }

    /// The last error once `limit` failures in a row have been recorded.
    func exceeded(_ limit: Int) -> String? {
        state.withLock { $0.count >= limit ? $0.last : nil }
    }
}

/// Digests rendered during a run, by their papers; most readers share the day's top papers.
public final class RenderingCache: Sendable {
    private let entries = Mutex<[String: RenderedDigest]>([:])
    /// Readers without picks share a handful of entries; readers with picks each have their own,
    /// so past this (about 8 MB of bodies) the cache starts over rather than grow.
    private let capacity = 256

    subscript(key: String) -> RenderedDigest? {
        get { entries.withLock { $0[key] } }
        set {
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll() }
                entries[key] = newValue
            }
        }
    }
}
