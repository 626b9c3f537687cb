import Crypto
import Foundation
import PaperboyStore

/// Signs the links in digest emails (confirm, unsubscribe) with HMAC-SHA256 under the
/// installation's secret, so they cannot be forged or pointed at another address.
///
/// A token reads `ID.EXPIRES.MAC`: the subscriber id, the expiry in Unix seconds (0: never)
/// and 128 bits of the MAC over purpose, id, lowercased address and expiry. Binding the
/// address means a token dies when the row it named is reused for another address.
public struct LinkSigner: Sendable {
    public enum Purpose: String, Sendable {
        case confirm, unsubscribe, passwordReset
    }

    /// The name of the secret in the database (`DigestStore.instanceSecret(named:)`).
    public static let secretName = "link-signing-key"

    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(secret: String) {
        keyBytes = Array(SHA256.hash(data: Data(secret.utf8)))
    }

    public func token(_ purpose: Purpose, for subscriber: Subscriber, expires: Date? = nil) -> String {
        let expiry = expires.map { Int64($0.timeIntervalSince1970) } ?? 0
        return "\(subscriber.id).\(expiry).\(mac(purpose, subscriber.id, subscriber.emailKey, expiry))"
    }

    /// The subscriber id a token names, before its MAC is checked against the stored address.
    public static func subscriberID(in token: String) -> Int64? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.count <= 100 else { return nil }
        return Int64(parts[0])
    }

    public enum Verdict: Equatable, Sendable {
        case valid
        case expired
        case invalid
    }

    /// Checks a token against the subscriber it names (looked up with `subscriberID(in:)`).
    public func verify(_ token: String, _ purpose: Purpose, for subscriber: Subscriber, now: Date) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, Int64(parts[0]) == subscriber.id, let expiry = Int64(parts[1]) else { return .invalid }
        let expected = mac(purpose, subscriber.id, subscriber.emailKey, expiry)
        guard SecretTokens.matches(String(parts[2]), expected) else { return .invalid }
        if expiry != 0 && Double(expiry) < now.timeIntervalSince1970 { return .expired }
        return .valid
    }

    /// The token in the subscribe form of cached pages, which carry no session. It proves the
    /// form was rendered by this site; the route also checks the Origin of the request.
    public var subscribeFormToken: String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("subscribe-form".utf8), using: key)).prefix(16))
    }

    /// A token naming `subject` (an email address, say), bound to `binding`: it stops being
    /// valid when the binding changes (a password hash: a reset link works once) or at `expires`.
    public func token(_ purpose: Purpose, subject: String, binding: String, expires: Date) -> String {
        let expiry = Int64(expires.timeIntervalSince1970)
        let named = Self.base64URL(Data(subject.utf8))
        return "\(named).\(expiry).\(mac(purpose, subject: subject, binding: binding, expiry: expiry))"
    }

    /// The subject a `token(_:subject:binding:expires:)` names, before it is checked.
    public static func subject(in token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.count <= 600 else { return nil }
        var text = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text).flatMap { String(data: $0, encoding: .utf8) }
    }

    public func verify(_ token: String, _ purpose: Purpose, subject: String, binding: String, now: Date) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, Self.subject(in: token) == subject, let expiry = Int64(parts[1]) else { return .invalid }
        guard SecretTokens.matches(String(parts[2]), mac(purpose, subject: subject, binding: binding, expiry: expiry)) else {
            return .invalid
        }
        return Double(expiry) < now.timeIntervalSince1970 ? .expired : .valid
    }

    private func mac(_ purpose: Purpose, subject: String, binding: String, expiry: Int64) -> String {
        let message = Data("\(purpose.rawValue)\n\(subject)\n\(SHA256.hash(data: Data(binding.utf8)))\n\(expiry)".utf8)
        return Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(16))
    }

    private func mac(_ purpose: Purpose, _ id: Int64, _ emailKey: String, _ expiry: Int64) -> String {
        let message = Data("\(purpose.rawValue)\n\(id)\n\(emailKey)\n\(expiry)".utf8)
        return Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(16))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
