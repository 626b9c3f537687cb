import Foundation
import Logging
import PaperboyCore
import PaperboyMail
import PaperboyStore

/// The mail side of the server: where mail goes out and what digests look like. Without it,
/// subscriptions are still taken and their confirmations go out once mail is configured.
public struct DigestMail: Sendable {
    /// One per parallel SMTP connection a digest run uses; confirmations use the first.
    public var transports: [any MailTransport]
    public var settings: DigestSettings

    public var transport: any MailTransport { transports[0] }

    public init(transport: any MailTransport, settings: DigestSettings) {
        self.init(transports: [transport], settings: settings)
    }

    public init(transports: [any MailTransport], settings: DigestSettings) {
        precondition(!transports.isEmpty, "mail needs a transport")
        self.transports = transports
        self.settings = settings
    }
}

/// What counts as a subscriber's address: a plain address of at most 254 characters whose
/// domain has a dot. Used by the subscribe form and `paperboy subscribers import`.
public enum SubscriberAddress {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func validated(_ text: String) throws(Invalid) -> String {
        let email = text.trimmingWhitespace()
        guard !email.isEmpty else { throw Invalid(description: "Enter your email address.") }
        guard email.count <= 254, let address = try? MailAddress(email), address.domain.contains("."),
            !address.domain.hasPrefix("."), !address.domain.hasSuffix(".")
        else {
            throw Invalid(description: "“\(email.prefix(100))” does not look like an email address.")
        }
        return email
    }
}

/// Double opt-in: subscribing records a pending address and mails it a signed link that
/// expires; only following the link confirms it. Answers never reveal whether an address
/// was already subscribed.
public struct SubscriptionService: Sendable {
    let store: any DigestStore
    let signer: LinkSigner
    public let mail: DigestMail?
    let clock: any WallClock
    /// Where confirmation emails' Message-IDs come from.
    let random: any RandomSource
    let logger: Logger
    /// How long a confirmation link works.
    var confirmationLifetime: Double = 7 * 86_400
    /// A pending address gets at most one confirmation email per this many seconds.
    var resendInterval: Double = 600

    public init(
        store: any DigestStore,
        signer: LinkSigner,
        mail: DigestMail?,
        clock: any WallClock,
        random: any RandomSource = SystemRandomSource(),
        logger: Logger
    ) {
        self.store = store
        self.signer = signer
        self.mail = mail
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    private var now: Date { Date(timeIntervalSince1970: clock.now) }

    public static func validatedEmail(_ text: String) throws(DomainError) -> String {
        do {
            return try SubscriberAddress.validated(text)
        } catch {
            throw .invalid(error.description)
        }
    }

    /// Records the request and sends the confirmation when one is owed.
    public func subscribe(email: String, userID: Int64?) async throws {
        let subscriber = try await store.subscribe(email: email, userID: userID, now: now)
        guard subscriber.state == .pending else { return }  // confirmed already: nothing to say
        if let sentAt = subscriber.confirmationSentAt.flatMap({ try? Date($0, strategy: .iso8601) }),
            now.timeIntervalSince(sentAt) < resendInterval
        {
            return
        }
        await sendConfirmation(to: subscriber)
    }

    /// Sends a confirmation email; false when mail is off or the server refused it (it stays owed).
    @discardableResult
    func sendConfirmation(to subscriber: Subscriber) async -> Bool {
        guard let mail else { return false }
        do {
            let message = try confirmationMessage(for: subscriber, settings: mail.settings)
            try await mail.transport.send(message)
            try await store.markConfirmationSent(subscriberID: subscriber.id, at: now)
            return true
        } catch {
            logger.warning(
                "could not send a confirmation email; it stays owed",
                metadata: ["to": "\(subscriber.email)", "error": "\(error)"]
            )
            try? await store.markConfirmationSent(subscriberID: subscriber.id, at: nil)
            return false
        }
    }

    /// Sends the confirmations still owed (mail was down, or not configured yet).
    func sendOwedConfirmations() async throws -> Int {
        guard mail != nil else { return 0 }
        var sent = 0
        for subscriber in try await store.subscribersOwedConfirmation(limit: 100) {
            guard await sendConfirmation(to: subscriber) else { break }
            sent += 1
        }
        return sent
    }

    func confirmationMessage(for subscriber: Subscriber, settings: DigestSettings) throws -> MailMessage {
        let token = signer.token(.confirm, for: subscriber, expires: now.addingTimeInterval(confirmationLifetime))
        let link = settings.publicURL + "/digest/confirm?token=" + token
        return try ActionEmail(
            reason: "Someone, hopefully you, asked to get the Paperboy daily digest of trending papers at \(subscriber.email).",
            linkIntro: "Confirm with this link (it works for 7 days):",
            link: link,
            action: "Confirm my subscription",
            note: "The link works for 7 days. If it was not you, ignore this email: nothing will be sent without the confirmation.",
            ignoreNote: "If it was not you, ignore this email: nothing will be sent without the confirmation.",
            subject: "Confirm your Paperboy digest subscription",
            title: "Confirm your subscription",
            kind: "confirm"
        ).message(to: subscriber.email, from: settings, now: now, random: random)
    }

    public enum Confirmation: Equatable {
        case confirmed(Subscriber)
        case alreadyConfirmed
        case expired
        case invalid
    }

    public func confirm(token: String) async throws -> Confirmation {
        guard let subscriber = try await subscriber(for: token) else { return .invalid }
        switch signer.verify(token, .confirm, for: subscriber, now: now) {
        case .invalid: return .invalid
        case .expired: return subscriber.state == .confirmed ? .alreadyConfirmed : .expired
        case .valid:
            if subscriber.state == .confirmed { return .alreadyConfirmed }
            // A link from before an unsubscribe does not bring the address back: only a new request does.
            guard try await store.confirm(subscriberID: subscriber.id, now: now) else { return .invalid }
            return .confirmed(subscriber)
        }
    }

    /// The subscriber a valid unsubscribe token names.
    public func unsubscribeTarget(token: String) async throws -> Subscriber? {
        guard let subscriber = try await subscriber(for: token),
            signer.verify(token, .unsubscribe, for: subscriber, now: now) == .valid
        else { return nil }
        return subscriber
    }

    /// Ends the subscription a valid unsubscribe token names; nil when the token is not one.
    public func unsubscribe(token: String) async throws -> Subscriber? {
        guard let subscriber = try await unsubscribeTarget(token: token) else { return nil }
        _ = try await store.unsubscribe(subscriberID: subscriber.id)
        return subscriber
    }

    /// Ends the digest of a reader's own address (from their settings), if they had one.
    public func unsubscribe(reader: Reader) async throws {
        guard let subscriber = try await store.subscriber(forUser: reader.id, email: reader.email) else { return }
        _ = try await store.unsubscribe(subscriberID: subscriber.id)
    }

    private func subscriber(for token: String) async throws -> Subscriber? {
        guard let id = LinkSigner.subscriberID(in: token) else { return nil }
        return try await store.subscriber(id: id)
    }
}
