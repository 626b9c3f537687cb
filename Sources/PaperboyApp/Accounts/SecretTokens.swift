import Crypto
import Foundation
import PaperboyCore

/// Bearer secrets (session cookies, API tokens, form nonces): made from 256 random bits,
/// stored only as their SHA-256, compared in constant time.
public enum SecretTokens {
    /// 256 random bits, base64url without padding (safe in cookies and URLs).
    public static func make(_ random: any RandomSource) -> String {
        base64URL(Data(random.bytes(32)))
    }

    /// What the store keeps of a token: its SHA-256 in hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Base64 that is safe in cookies and URLs, without padding.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Constant-time comparison, so a check leaks nothing through timing.
    public static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
