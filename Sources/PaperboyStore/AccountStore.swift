import Foundation
import PaperboyCore

/// Everything about readers, as one requirement for code that needs all of it; services ask
/// for the part they use. every store backend implements each; each write is one transaction.
public typealias AccountStore = ReaderStore & SessionStore & VoteStore & APITokenStore

/// Readers: accounts and their passwords.
public protocol ReaderStore: Sendable {
    /// Fails with `AccountError.emailTaken` or `.nameTaken` (both case-insensitive).
    func createUser(email: String, name: String, passwordHash: String) async throws -> Reader

    /// The reader with this email (any case) and their password hash.
    func credentials(email: String) async throws -> (reader: Reader, passwordHash: String)?

    /// The reader with this user name (any case), with their display name.
    func reader(named name: String) async throws -> Reader?

    /// Sets (or clears, with nil) the name shown beside the user name.
    func setDisplayName(of readerID: Int64, to displayName: String?) async throws

    /// The reader's display name, if they chose one.
    func displayName(of readerID: Int64) async throws -> String?

    /// Replaces the password hash and ends every other session of the reader.
    func changePassword(of readerID: Int64, to passwordHash: String, keepingSession tokenHash: String) async throws

    /// The stored bcrypt hash of a reader's password.
    func passwordHash(of readerID: Int64) async throws -> String?
}

/// Server-side sessions, kept by the SHA-256 of their token.
public protocol SessionStore: Sendable {
    /// Stores a session and sweeps those expired at `now`.
    func createSession(tokenHash: String, readerID: Int64?, csrfToken: String, expiresAt: Date, now: Date) async throws

    /// A session that has not expired, with its reader when logged in.
    func session(tokenHash: String, now: Date) async throws -> StoredSession?

    func deleteSession(tokenHash: String) async throws
}

/// Upvotes: one per reader per paper.
public protocol VoteStore: Sendable {
    /// Records an upvote; false when the reader had already upvoted (nothing changes).
    func upvote(paperID: String, by readerID: Int64) async throws -> Bool

    /// Withdraws an upvote; false when there was none.
    func removeUpvote(paperID: String, by readerID: Int64) async throws -> Bool

    /// Which of `paperIDs` the reader has upvoted.
    func upvotedPaperIDs(by readerID: Int64, among paperIDs: [String]) async throws -> Set<String>

    /// The reader's upvoted papers, latest vote first.
    func upvotedPapers(by readerID: Int64, limit: Int) async throws -> [Paper]

    /// Upvotes cast here (not the captured counts), over all papers.
    func localUpvoteCount() async throws -> Int
}

/// API tokens, kept by the SHA-256 of their secret.
public protocol APITokenStore: Sendable {
    func createToken(for readerID: Int64, name: String, tokenHash: String) async throws -> APIToken

    /// The reader's tokens, revoked ones included, newest first.
    func tokens(of readerID: Int64) async throws -> [APIToken]

    /// Revokes one of the reader's own tokens; false when it is not theirs or already revoked.
    func revokeToken(id: Int64, of readerID: Int64) async throws -> Bool

    /// The reader a live (unrevoked) token belongs to.
    func reader(forTokenHash tokenHash: String) async throws -> Reader?
}

public struct APIToken: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: String
    public var revoked: Bool

    public init(id: Int64, name: String, createdAt: String, revoked: Bool) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revoked = revoked
    }
}

public struct Reader: Sendable, Equatable {
    public var id: Int64
    public var email: String
    /// The user name: the `/u/NAME` handle, unique whatever its case.
    public var name: String
    /// The name the reader chose to be shown by, beside the user name; read only where a page
    /// shows it (`reader(named:)`), nil elsewhere.
    public var displayName: String? = nil

    public init(id: Int64, email: String, name: String) {
        self.id = id
        self.email = email
        self.name = name
    }
}

public struct StoredSession: Sendable, Equatable {
    public var reader: Reader?
    public var csrfToken: String

    public init(reader: Reader?, csrfToken: String) {
        self.reader = reader
        self.csrfToken = csrfToken
    }
}

public enum AccountError: Error, Equatable {
    case emailTaken
    case nameTaken
    case unknownPaper
}
