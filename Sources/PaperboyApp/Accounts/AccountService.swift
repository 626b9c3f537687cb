import Foundation
import PaperboyCore
import PaperboyPasswords
import PaperboyStore

/// Signing up, logging in, passwords, API tokens and profiles.
public struct AccountService: Sendable {
    let store: any ReaderStore & APITokenStore & VoteStore & PaperStore & SubscriberStore
    let passwords: any PasswordHasher
    let random: any RandomSource
    /// A hash to verify against when the email is unknown, so a failed log-in takes as long
    /// whether or not the address has an account.
    private let decoyHash: String

    public init(
        store: any ReaderStore & APITokenStore & VoteStore & PaperStore & SubscriberStore,
        passwords: any PasswordHasher,
        random: any RandomSource
    ) {
        self.store = store
        self.passwords = passwords
        self.random = random
        self.decoyHash = passwords.hash("decoy password for timing")
    }

    /// Why an account action was refused, in words for the reader.
    public enum Refusal: Error, Equatable {
        /// A rule of `AccountRules` (email, name, password) is not met.
        case invalid(String)
        case emailTaken
        case nameTaken
        case wrongCredentials
        case wrongPassword

        public var message: String {
            switch self {
            case .invalid(let message): return message
            case .emailTaken: return "That email cannot be used for a new account. If it is yours, log in."
            case .nameTaken: return "That user name is taken: choose another."
            case .wrongCredentials: return "Email or password is wrong."
            case .wrongPassword: return "Your current password is not right."
            }
        }
    }

    /// Signs a reader up; `displayName` (optional) is the name shown beside the user name.
    public func signUp(email: String, name: String, password: String, displayName: String? = nil) async throws -> Reader {
        if let problem = AccountRules.problem(email: email, name: name, password: password) { throw Refusal.invalid(problem) }
        let shown = try Self.checkedDisplayName(displayName)
        // A reader here must not appear as a Hugging Face submitter the feed shows.
        if try await store.hasImportedSubmitter(named: name) { throw Refusal.nameTaken }
        do {
            var reader = try await store.createUser(email: email, name: name, passwordHash: passwords.hash(password))
            if let shown {
                try await store.setDisplayName(of: reader.id, to: shown)
                reader.displayName = shown
            }
            return reader
        } catch AccountError.emailTaken {
            throw Refusal.emailTaken
        } catch AccountError.nameTaken {
            throw Refusal.nameTaken
        }
    }

    /// Sets the name shown beside the reader's user name; empty clears it.
    public func setDisplayName(of reader: Reader, to text: String) async throws -> String? {
        let shown = try Self.checkedDisplayName(text)
        try await store.setDisplayName(of: reader.id, to: shown)
        return shown
    }

    public func displayName(of reader: Reader) async throws -> String? {
        try await store.displayName(of: reader.id)
    }

    /// Up to 50 characters of any script, spaces collapsed, no control characters; empty: none.
    static func checkedDisplayName(_ text: String?) throws -> String? {
        guard let text = text?.collapsingWhitespace(), !text.isEmpty else { return nil }
        guard text.count <= 50 else { throw Refusal.invalid("A display name can be at most 50 characters long.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { throw Refusal.invalid("A display name cannot hold control characters.") }
        return text
    }

    public func logIn(email: String, password: String) async throws -> Reader {
        let found = try await store.credentials(email: email)
        // Always run bcrypt: an unknown email costs the same time as a wrong password.
        let valid = passwords.verify(password, hash: found?.passwordHash ?? decoyHash) && found != nil
        guard valid, let reader = found?.reader else { throw Refusal.wrongCredentials }
        return reader
    }

    /// Changes the password and ends every other session of the reader.
    public func changePassword(of reader: Reader, current: String, new: String, keepingSession tokenHash: String) async throws {
        guard let hash = try await store.passwordHash(of: reader.id), passwords.verify(current, hash: hash) else {
            throw Refusal.wrongPassword
        }
        if let problem = AccountRules.problem(email: reader.email, name: reader.name, password: new) { throw Refusal.invalid(problem) }
        try await store.changePassword(of: reader.id, to: passwords.hash(new), keepingSession: tokenHash)
    }

    // MARK: - API tokens

    /// A new API token; the secret is shown once, the store keeps its hash.
    public func createToken(for reader: Reader, name: String) async throws -> String {
        let name = name.trimmingWhitespace()
        guard (1...60).contains(name.count) else { throw DomainError.invalid("Give the token a name of 1 to 60 characters.") }
        let token = "pb_" + SecretTokens.make(random)
        _ = try await store.createToken(for: reader.id, name: name, tokenHash: SecretTokens.hash(token))
        return token
    }

    public func revokeToken(id: Int64, of reader: Reader) async throws {
        guard try await store.revokeToken(id: id, of: reader.id) else { throw DomainError.notFound("No such token.") }
    }

    /// The reader an API token belongs to, if it is valid and not revoked.
    public func reader(forAPIToken token: String) async throws -> Reader? {
        try await store.reader(forTokenHash: SecretTokens.hash(token))
    }

    /// What the settings page shows.
    public struct Settings: Sendable {
        public var tokens: [APIToken]
        public var digest: SubscriberState?
    }

    public func settings(of reader: Reader) async throws -> Settings {
        Settings(
            tokens: try await store.tokens(of: reader.id),
            digest: try await store.subscriber(forUser: reader.id, email: reader.email)?.state
        )
    }

    // MARK: - Profiles

    public struct Profile: Sendable {
        public var reader: Reader
        public var upvoted: [Paper]
        public var submissions: [Paper]
    }

    /// A reader's page: what they upvoted and submitted here. Entries imported from Hugging
    /// Face under the same name are another person's and are not listed.
    public func profile(named name: String) async throws -> Profile {
        guard let reader = try await store.reader(named: name) else { throw DomainError.notFound("No reader named “\(name.prefix(40))”.") }
        let entries = try await store.feedEntries(FeedQuery(submitter: reader.name, order: .newest, limit: 500))
        return Profile(
            reader: reader,
            upvoted: try await store.upvotedPapers(by: reader.id, limit: 100),
            submissions: Array(entries.filter { $0.rawItem == nil }.map(\.paper).prefix(100))
        )
    }

    /// Someone who submitted papers on Hugging Face, known from the imported feed.
    public struct ImportedSubmitter: Sendable {
        public var submitter: Submitter
        /// Their submissions, newest feed day first.
        public var entries: [DailyEntry]
    }

    /// The Hugging Face submitter named `name`, from the feed entries imported with their name
    /// (local submissions carry no captured item and are not theirs).
    public func importedSubmitter(named name: String) async throws -> ImportedSubmitter {
        let entries = try await importedSubmissions(by: name, limit: 100)
        guard let latest = entries.first?.submitter else {
            throw DomainError.notFound("Nobody named “\(name.prefix(40))” submitted papers to the feed.")
        }
        return ImportedSubmitter(submitter: latest, entries: entries)
    }

    private func importedSubmissions(by name: String, limit: Int) async throws -> [DailyEntry] {
        let entries = try await store.feedEntries(FeedQuery(submitter: name, order: .newest, limit: max(limit, 500)))
        return Array(entries.filter { $0.rawItem != nil }.prefix(limit))
    }

    /// Which of `paperIDs` the reader upvoted (for the vote buttons of a page).
    public func upvoted(by reader: Reader, among paperIDs: [String]) async throws -> Set<String> {
        try await store.upvotedPaperIDs(by: reader.id, among: paperIDs)
    }
}

/// What a new account must satisfy, each rule with the message a person reads.
public enum AccountRules {
    public static func problem(email: String, name: String, password: String) -> String? {
        let emailParts = email.split(separator: "@", omittingEmptySubsequences: false)
        if email.count > 254 || emailParts.count != 2 || emailParts[0].isEmpty || !emailParts[1].contains(".")
            || email.contains(where: { $0.isWhitespace || $0.isNewline })
        {
            return "Enter a valid email address."
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        if !(2...32).contains(name.count) || name.unicodeScalars.contains(where: { !allowed.contains($0) || !$0.isASCII }) {
            return "User names are 2 to 32 letters, digits, '-' or '_'."
        }
        if password.count < 10 { return "Passwords need at least 10 characters." }
        if password.count > 200 { return "Passwords can be at most 200 characters." }
        if Set(password).count < 4 { return "That password is too easy to guess: use more different characters." }
        if password.lowercased().contains(name.lowercased()) || password.lowercased() == email.lowercased() {
            return "Your password must not contain your name or email."
        }
        return nil
    }
}
