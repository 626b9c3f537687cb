import Foundation
import Logging
import PaperboyCore
import PaperboyMail
import PaperboyPasswords
import PaperboyStore

/// "Forgot your password": a signed link by email that works once, for an hour, and ends every
/// session of the account when it is used.
public struct PasswordResetService: Sendable {
    let store: any ReaderStore
    let passwords: any PasswordHasher
    let signer: LinkSigner
    let mail: DigestMail?
    let clock: any WallClock
    let random: any RandomSource
    let logger: Logger
    /// How long a link works.
    public static let lifetime: TimeInterval = 3600

    public init(
        store: any ReaderStore,
        passwords: any PasswordHasher,
        signer: LinkSigner,
        mail: DigestMail?,
        clock: any WallClock,
        random: any RandomSource,
        logger: Logger
    ) {
        self.store = store
        self.passwords = passwords
        self.signer = signer
        self.mail = mail
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    public var canSendMail: Bool { mail != nil }

    /// Emails a reset link when an account has this address; says nothing either way, so the
    /// answer does not tell who has an account. `siteURL` starts the link.
    public func requestReset(email: String, siteURL: String) async {
        guard let mail else { return }
        do {
            guard let (reader, hash) = try await store.credentials(email: email.trimmingCharacters(in: .whitespaces)) else { return }
            let now = Date(timeIntervalSince1970: clock.now)
            let token = signer.token(.passwordReset, subject: reader.email, binding: hash, expires: now.addingTimeInterval(Self.lifetime))
            let base = mail.settings.publicURL.isEmpty ? siteURL : mail.settings.publicURL
            try await mail.transport.send(try message(to: reader, link: base + "/password/reset?token=" + token, settings: mail.settings))
        } catch {
            logger.warning("could not send a password reset email", metadata: ["error": "\(error)"])
        }
    }

    public enum Refusal: Error, Equatable {
        case expired
        case invalid
        case weakPassword(String)

        public var message: String {
            switch self {
            case .expired: return "This link has expired: ask for a new one."
            case .invalid: return "This link is not valid (it may have been used already): ask for a new one."
            case .weakPassword(let problem): return problem
            }
        }
    }

    /// The reader a link is for, while it works.
    public func reader(for token: String) async throws -> Reader {
        try await check(token).reader
    }

    /// Sets the new password and ends every session of the reader; the link then no longer
    /// works (it was bound to the old password).
    public func reset(token: String, to password: String) async throws -> Reader {
        let (reader, _) = try await check(token)
        if let problem = AccountRules.problem(email: reader.email, name: reader.name, password: password) {
            throw Refusal.weakPassword(problem)
        }
        try await store.changePassword(of: reader.id, to: passwords.hash(password), keepingSession: "")
        return reader
    }

    private func check(_ token: String) async throws -> (reader: Reader, hash: String) {
        guard let email = LinkSigner.subject(in: token), let (reader, hash) = try await store.credentials(email: email) else {
            throw Refusal.invalid
        }
        switch signer.verify(token, .passwordReset, subject: reader.email, binding: hash, now: Date(timeIntervalSince1970: clock.now)) {
        case .valid: return (reader, hash)
        case .expired: throw Refusal.expired
        case .invalid: throw Refusal.invalid
        }
    }

    func message(to reader: Reader, link: String, settings: DigestSettings) throws -> MailMessage {
        try ActionEmail(
            reason: "Someone, hopefully you, asked to reset the password of the Paperboy account \(reader.name) (\(reader.email)).",
            linkIntro: "Choose a new password with this link (it works once, for an hour):",
            link: link,
            action: "Choose a new password",
            note: "The link works once, for an hour. If it was not you, ignore this email: your password stays as it is.",
            ignoreNote: "If it was not you, ignore this email: your password stays as it is.",
            subject: "Reset your Paperboy password",
            title: "Reset your password",
            kind: "reset"
        ).message(to: reader.email, from: settings, now: Date(timeIntervalSince1970: clock.now), random: random)
    }
}
