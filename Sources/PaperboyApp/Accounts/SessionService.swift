import Crypto
import Foundation
import PaperboyCore
import PaperboyStore

/// A session found from its token.
public struct ActiveSession: Sendable, Equatable {
    /// SHA-256 of the bearer token: the session's key in the store.
    public var tokenHash: String
    public var reader: Reader?
    public var csrfToken: String

    public init(tokenHash: String, reader: Reader?, csrfToken: String) {
        self.tokenHash = tokenHash
        self.reader = reader
        self.csrfToken = csrfToken
    }
}

/// Server-side sessions: the token given out carries 256 random bits; the store keeps only
/// their SHA-256, the reader and the session's CSRF token. Visitors without an account get
/// no session row: their forms carry a signed nonce instead (a signed double submit), so
/// looking at a page writes nothing. How tokens travel (cookies) is the web module's business.
public struct SessionService: Sendable {
    let store: any SessionStore
    let clock: any WallClock
    let random: any RandomSource
    public var lifetime: TimeInterval = 30 * 24 * 3600
    /// Signs anonymous form tokens; made once per installation and kept in the store.
    private let formKeyBytes: [UInt8]

    /// The name of the form-signing secret in the database.
    public static let formSecretName = "form-signing-key"

    public init(store: any SessionStore, clock: any WallClock, random: any RandomSource, formSecret: String) {
        self.store = store
        self.clock = clock
        self.random = random
        self.formKeyBytes = Array(SHA256.hash(data: Data(formSecret.utf8)))
    }

    /// Starts a session (anonymous when `reader` is nil); the token goes to the client.
    public func start(for reader: Reader?) async throws -> (session: ActiveSession, token: String) {
        let token = SecretTokens.make(random)
        let session = ActiveSession(tokenHash: SecretTokens.hash(token), reader: reader, csrfToken: SecretTokens.make(random))
        try await store.createSession(
            tokenHash: session.tokenHash,
            readerID: reader?.id,
            csrfToken: session.csrfToken,
            expiresAt: Date(timeIntervalSince1970: clock.now + lifetime),
            now: Date(timeIntervalSince1970: clock.now)
        )
        return (session, token)
    }

    /// A new session at every log-in, so a session planted before it is worthless after.
    public func switchSession(from old: ActiveSession, to reader: Reader) async throws -> (session: ActiveSession, token: String) {
        if !old.tokenHash.isEmpty { try await store.deleteSession(tokenHash: old.tokenHash) }
        return try await start(for: reader)
    }

    public func end(_ session: ActiveSession) async throws {
        try await store.deleteSession(tokenHash: session.tokenHash)
    }

    /// The live session a token names, if any.
    public func find(token: String) async throws -> ActiveSession? {
        guard !token.isEmpty, token.count <= 100 else { return nil }
        let tokenHash = SecretTokens.hash(token)
        guard let stored = try await store.session(tokenHash: tokenHash, now: Date(timeIntervalSince1970: clock.now)) else {
            return nil
        }
        return ActiveSession(tokenHash: tokenHash, reader: stored.reader, csrfToken: stored.csrfToken)
    }

    // MARK: - Forms without a session

    /// A new signed form token for a visitor without a session.
    public func newFormToken() -> String {
        let nonce = SecretTokens.make(random)
        return "\(nonce).\(formSignature(nonce))"
    }

    /// Whether `token` is one this installation signed.
    public func isValidFormToken(_ token: String) -> Bool {
        let parts = token.split(separator: ".")
        guard token.count <= 100, parts.count == 2 else { return false }
        return SecretTokens.matches(String(parts[1]), formSignature(String(parts[0])))
    }

    /// Whether a form sent without a session carries the token its browser was given.
    public func verifyAnonymousForm(given: String?, issued: String?) -> Bool {
        guard let issued, isValidFormToken(issued) else { return false }
        return SecretTokens.matches(given, issued)
    }

    private func formSignature(_ nonce: String) -> String {
        let key = SymmetricKey(data: formKeyBytes)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(("anonymous-form:" + nonce).utf8), using: key)
        return SecretTokens.base64URL(Data(mac))
    }
}
