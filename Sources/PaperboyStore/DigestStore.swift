import Foundation
import PaperboyCore

/// Digest subscribers, the per-day delivery log, the lease that keeps two instances from
/// sending at once and the installation's secrets. every store backend implements each part;
/// each method is one transaction.
public typealias DigestStore = SubscriberStore & DeliveryStore & LeaseStore & SecretStore

/// Digest subscribers and their double opt-in.
public protocol SubscriberStore: Sendable {
    /// Adds an address as `pending`, or returns the existing subscriber. A reader who had
    /// unsubscribed (or was disabled) becomes `pending` again; a confirmed one stays confirmed.
    /// `userID` links the subscription to an account when the subscriber has none yet.
    func subscribe(email: String, userID: Int64?, now: Date) async throws -> Subscriber

    func subscriber(id: Int64) async throws -> Subscriber?

    func subscriber(email: String) async throws -> Subscriber?

    /// The subscription linked to an account, else the one for its email address.
    func subscriber(forUser userID: Int64, email: String) async throws -> Subscriber?

    /// Records that the confirmation email went out (or clears it, when `at` is nil: owed again).
    func markConfirmationSent(subscriberID: Int64, at: Date?) async throws

    /// Pending subscribers whose confirmation email is still owed.
    func subscribersOwedConfirmation(limit: Int) async throws -> [Subscriber]

    /// `pending` → `confirmed`; false when the subscriber is gone or not pending.
    func confirm(subscriberID: Int64, now: Date) async throws -> Bool

    /// Any state → `unsubscribed`; false when the subscriber is gone or already unsubscribed.
    func unsubscribe(subscriberID: Int64) async throws -> Bool

    /// Adds addresses as confirmed (moving an existing list): new ones are added, known
    /// ones become confirmed. Returns how many were added and how many changed state.
    func importConfirmedSubscribers(_ emails: [String], now: Date) async throws -> (added: Int, confirmed: Int)

    /// Subscribers in id order after `cursor`.
    func subscribers(after cursor: Int64?, limit: Int) async throws -> [Subscriber]

    func subscriberCounts() async throws -> [SubscriberState: Int]
}

/// The per-day delivery log: what each subscriber gets, and whether it went out.
public protocol DeliveryStore: Sendable {
    /// Adds a `pending` delivery for `date` for every confirmed subscriber who has none yet;
    /// returns how many were added.
    func enqueueDigest(date: FeedDay, now: Date) async throws -> Int

    /// Deliveries of `date` to work on now: `pending`, `sending` (composed, maybe interrupted)
    /// and `retry` ones that are due, oldest subscriber first.
    func dueDeliveries(date: FeedDay, now: Date, limit: Int) async throws -> [DigestDelivery]

    /// The earliest time a `retry` delivery of `date` becomes due, if any.
    func nextRetry(date: FeedDay) async throws -> Date?

    /// The papers each subscriber was ever sent.
    func sentPaperIDs(subscriberIDs: [Int64]) async throws -> [Int64: Set<String>]

    /// Fixes the content of deliveries (state `sending`): a resumed run sends the same message.
    func markComposed(_ compositions: [DigestComposition], date: FeedDay, now: Date) async throws

    /// `sending` → `sent`, and its papers are recorded as sent to the subscriber.
    func markSent(subscriberID: Int64, date: FeedDay, now: Date) async throws

    /// Nothing new to send this reader: `skipped`.
    func markSkipped(subscriberID: Int64, date: FeedDay, reason: String, now: Date) async throws

    /// A temporary failure: `retry` at `nextAttempt`.
    func markRetry(subscriberID: Int64, date: FeedDay, error: String, nextAttempt: Date, now: Date) async throws

    /// A final failure (`failed`). When `permanent`, the subscriber's count of refusals grows
    /// and reaching `disableAfter` disables the address. Returns whether it was disabled.
    func markFailed(
        subscriberID: Int64,
        date: FeedDay,
        error: String,
        permanent: Bool,
        disableAfter: Int,
        now: Date
    )
        async throws -> Bool

    func deliveryCounts(date: FeedDay) async throws -> [DeliveryState: Int]

    /// The delivery log of one date, in subscriber order (for tests and the command line).
    func deliveries(date: FeedDay) async throws -> [DigestDelivery]

}

/// Named leases: only one instance at a time does work that must not run twice.
public protocol LeaseStore: Sendable {
    /// Takes or renews the lease `name` until `until` when it is free, expired, already ours,
    /// or held by `stealFrom` (a holder known to be dead). Returns the holder afterwards.
    func acquireLease(name: String, holder: String, until: Date, now: Date, stealFrom: String?) async throws -> String

    func releaseLease(name: String, holder: String) async throws
}

/// Secrets made once per installation (signing keys) and kept in the store.
public protocol SecretStore: Sendable {
    /// A random secret made the first time it is asked for and kept in the database.
    func instanceSecret(named name: String) async throws -> String
}

public enum SubscriberState: String, Sendable, CaseIterable {
    case pending, confirmed, unsubscribed, disabled
}

public struct Subscriber: Sendable, Equatable {
    public var id: Int64
    public var email: String
    public var userID: Int64?
    public var state: SubscriberState
    public var createdAt: String
    public var confirmationSentAt: String?
    public var permanentFailures: Int
    public var lastError: String?

    public init(
        id: Int64,
        email: String,
        userID: Int64?,
        state: SubscriberState,
        createdAt: String,
        confirmationSentAt: String? = nil,
        permanentFailures: Int = 0,
        lastError: String? = nil
    ) {
        self.id = id
        self.email = email
        self.userID = userID
        self.state = state
        self.createdAt = createdAt
        self.confirmationSentAt = confirmationSentAt
        self.permanentFailures = permanentFailures
        self.lastError = lastError
    }

    /// The lowercased address: the key that makes one subscription per address.
    public var emailKey: String { email.lowercased() }
}

public enum DeliveryState: String, Sendable, CaseIterable {
    /// Enqueued; nothing composed yet.
    case pending
    /// Composed (Message-ID and papers fixed); being sent, or interrupted while it was.
    case sending
    /// A temporary failure; due again at `nextAttemptAt`.
    case retry
    case sent
    /// Gave up: a permanent refusal, or too many temporary failures.
    case failed
    /// Nothing new to send this reader on this date.
    case skipped
}

public struct DigestDelivery: Sendable, Equatable {
    public var subscriberID: Int64
    public var email: String
    public var userID: Int64?
    public var date: FeedDay
    public var state: DeliveryState
    public var attempts: Int
    /// Set once composed.
    public var messageID: String?
    public var paperIDs: [String]
    public var pickIDs: [String]
    public var lastError: String?

    public init(
        subscriberID: Int64,
        email: String,
        userID: Int64?,
        date: FeedDay,
        state: DeliveryState,
        attempts: Int,
        messageID: String?,
        paperIDs: [String],
        pickIDs: [String],
        lastError: String?
    ) {
        self.subscriberID = subscriberID
        self.email = email
        self.userID = userID
        self.date = date
        self.state = state
        self.attempts = attempts
        self.messageID = messageID
        self.paperIDs = paperIDs
        self.pickIDs = pickIDs
        self.lastError = lastError
    }
}

/// What one reader's digest holds, fixed before it is sent.
public struct DigestComposition: Sendable, Equatable {
    public var subscriberID: Int64
    public var messageID: String
    public var paperIDs: [String]
    public var pickIDs: [String]

    public init(subscriberID: Int64, messageID: String, paperIDs: [String], pickIDs: [String]) {
        self.subscriberID = subscriberID
        self.messageID = messageID
        self.paperIDs = paperIDs
        self.pickIDs = pickIDs
    }
}
