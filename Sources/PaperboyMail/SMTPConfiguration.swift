import Foundation

/// Everything the SMTP client needs, built from one URL such as
/// `smtp://user:pass@mail.example.org:587?starttls=required` or `smtps://user:pass@mail.example.org`.
public struct SMTPConfiguration: Sendable {
    /// How to protect the connection.
    public enum Security: String, Sendable, Equatable {
        /// Plain SMTP, upgraded with STARTTLS when the server offers it (`smtp://`, the default).
        case startTLSIfAvailable = "opportunistic"
        /// Plain SMTP that must be upgraded with STARTTLS, or the client gives up (`?starttls=required`).
        case startTLSRequired = "required"
        /// Plain SMTP, never upgraded (`?starttls=off`): for local relays and tests.
        case none = "off"
        /// TLS from the first byte (`smtps://`, port 465 by default).
        case implicitTLS = "implicit"
    }

    /// How to check the server's certificate.
    public enum TLSVerification: Sendable, Equatable {
        /// The system's trusted roots and the host name (the default).
        case full
        /// Only certificates issued by the CA in this PEM file (or that self-signed certificate).
        case trustCertificateFile(String)
        /// No checks at all. Only for tests against a throwaway server.
        case none
    }

    public struct Credentials: Sendable, Equatable, CustomStringConvertible {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        public var description: String { "Credentials(username: \(username), password: <redacted>)" }
    }

    public struct Timeouts: Sendable, Equatable {
        /// Establishing the TCP connection (and, for `smtps`, nothing more: the handshake counts as a command).
        public var connect: Duration
        /// Waiting for the reply to any command, including the greeting.
        public var command: Duration
        /// Waiting for the reply after the message data (RFC 5321 suggests 10 minutes).
        public var data: Duration

        public init(connect: Duration = .seconds(30), command: Duration = .seconds(60), data: Duration = .seconds(600)) {
            self.connect = connect
            self.command = command
            self.data = data
        }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials?
    public var tlsVerification: TLSVerification
    public var timeouts: Timeouts
    /// The name sent with EHLO/HELO: this machine's public host name in production.
    public var heloName: String

    public init(
        host: String,
        port: Int,
        security: Security = .startTLSIfAvailable,
        credentials: Credentials? = nil,
        tlsVerification: TLSVerification = .full,
        timeouts: Timeouts = Timeouts(),
        heloName: String = "localhost"
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.tlsVerification = tlsVerification
        self.timeouts = timeouts
        self.heloName = heloName
    }

    /// Parses `smtp://[user[:password]@]host[:port][?starttls=opportunistic|required|off]` or
    /// `smtps://[user[:password]@]host[:port]`. User and password are percent-decoded.
    public init(
        url: String,
        tlsVerification: TLSVerification = .full,
        timeouts: Timeouts = Timeouts(),
        heloName: String = "localhost"
    ) throws(SMTPConfigurationError) {
        guard let components = URLComponents(string: url) else {
            throw .invalidURL("not a URL: \(Self.redacted(url))")
        }
        let scheme = components.scheme?.lowercased()
        guard scheme == "smtp" || scheme == "smtps" else {
            throw .invalidURL(
                "the scheme must be smtp:// or smtps://, not \(components.scheme.map { "\($0)://" } ?? "none")"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidURL("no host in \(Self.redacted(url))")
        }
        guard components.path.isEmpty || components.path == "/" else {
            throw .invalidURL("unexpected path \(components.path.debugDescription) in the SMTP URL")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .invalidURL("port \(port) is out of range")
        }

        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLSIfAvailable
        for item in components.queryItems ?? [] {
            guard item.name == "starttls" else {
                throw .invalidURL("unknown parameter \(item.name.debugDescription); only starttls is supported")
            }
            guard scheme == "smtp" else {
                throw .invalidURL("starttls applies to smtp:// only; smtps:// is TLS from the start")
            }
            guard let value = item.value.flatMap({ Security(rawValue: $0.lowercased()) }), value != .implicitTLS else {
                throw .invalidURL(
                    "starttls must be opportunistic, required or off, not \((item.value ?? "").debugDescription)"
                )
            }
            security = value
        }

        var credentials: Credentials?
        if let user = components.percentEncodedUser {
            guard let username = user.removingPercentEncoding, !username.isEmpty else {
                throw .invalidURL("the user name is empty or badly percent-encoded")
            }
            guard let password = (components.percentEncodedPassword ?? "").removingPercentEncoding else {
                throw .invalidURL("the password is badly percent-encoded")
            }
            credentials = Credentials(username: username, password: password)
        } else if components.percentEncodedPassword != nil {
            throw .invalidURL("a password without a user name")
        }

        let defaultPort = security == .implicitTLS ? 465 : 587
        self.init(
            host: host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? defaultPort,
            security: security,
            credentials: credentials,
            tlsVerification: tlsVerification,
            timeouts: timeouts,
            heloName: heloName
        )
    }

    /// The URL with its password replaced, safe for error messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "redacted"
        return components.string ?? "<unparseable URL>"
    }
}

extension SMTPConfiguration: CustomStringConvertible {
    public var description: String {
        let user = credentials.map { "\($0.username)@" } ?? ""
        return "SMTPConfiguration(\(user)\(host):\(port), security: \(security), tls: \(tlsVerification))"
    }
}

public enum SMTPConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String)
    case invalidTLSSetting(String)

    public var description: String {
        switch self {
        case .invalidURL(let reason): return "invalid SMTP URL: \(reason)"
        case .invalidTLSSetting(let reason): return "invalid TLS setting: \(reason)"
        }
    }
}
