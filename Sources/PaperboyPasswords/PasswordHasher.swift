import HummingbirdBcrypt

/// Hashes and checks passwords. The application takes one of these, so it never imports the
/// bcrypt module itself, and tests can pick a cheap cost.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) -> String
    func verify(_ password: String, hash: String) -> Bool
}

/// bcrypt, the cost chosen once (12 in production; 4, the minimum, keeps tests fast).
public struct BcryptPasswordHasher: PasswordHasher {
    public let cost: UInt8

    public init(cost: UInt8) {
        self.cost = cost
    }

    public func hash(_ password: String) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    public func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}
