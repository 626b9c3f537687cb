import Foundation

/// A real SMTP server (aiosmtpd, `scripts/smtp-test-server.py`) running as a subprocess on a
/// free loopback port, storing what it receives in a temporary directory.
public struct TestSMTPServer: Sendable {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public let directory: URL
    public let port: Int
    private let process: Process
    /// The server exits when this closes: on `stop()`, or when the test process dies.
    private let stdin: Pipe

    /// Starts the server with `arguments` (see the script's flags), runs `body`, stops the server.
    public static func with<T>(
        _ arguments: [String] = [],
        _ body: (TestSMTPServer) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("paperboy-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await start(in: directory, arguments: arguments)
        defer { server.stop() }
        return try await body(server)
    }

    private static func start(in directory: URL, arguments: [String]) async throws -> TestSMTPServer {
        let python = repositoryRoot.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestSetupError(
                "no Python at \(python.path): run scripts/setup-mail-test.sh once to create it with aiosmtpd"
            )
        }
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = python
        process.arguments =
            [
                repositoryRoot.appendingPathComponent("scripts/smtp-test-server.py").path,
                directory.appendingPathComponent("spool").path,
                "--port", "0", "--exit-with-stdin",
            ] + arguments
        let stdin = Pipe()
        process.standardInput = stdin
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()

        // The script writes ready.json once it listens; poll for it, watching for an early exit.
        let readyFile = directory.appendingPathComponent("spool/ready.json")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: readyFile.path),
                let ready = try? JSONDecoder().decode([String: Int].self, from: data),
                let port = ready["port"]
            {
                return TestSMTPServer(
                    directory: directory.appendingPathComponent("spool"),
                    port: port,
                    process: process,
                    stdin: stdin
                )
            }
            if !process.isRunning {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw TestSetupError(
                    "the SMTP test server exited (\(process.terminationStatus)):\n\(output)\n"
                        + "If aiosmtpd is missing, run scripts/setup-mail-test.sh"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw TestSetupError("the SMTP test server did not start listening within 30 seconds")
    }

    private func stop() {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// How many TCP connections the server accepted.
    public var connectionCount: Int {
        let log = (try? String(contentsOf: directory.appendingPathComponent("connections.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").count
    }

    /// The stored messages, oldest first.
    public func messages() throws -> [ReceivedMessage] {
        let folder = directory.appendingPathComponent("messages")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try names.map { name in
            let summary = try Data(contentsOf: folder.appendingPathComponent(name))
            var message = try decoder.decode(ReceivedMessage.self, from: summary)
            let eml = folder.appendingPathComponent(name.replacingOccurrences(of: ".json", with: ".eml"))
            message.raw = try Data(contentsOf: eml)
            return message
        }
    }
}

/// What `smtp-test-server.py` wrote about one message: Python's `email` package did the MIME
/// and RFC 2047 decoding, independently of the code under test.
public struct ReceivedMessage: Decodable, Sendable {
    public struct Part: Decodable, Sendable {
        public var contentType: String
        public var charset: String?
        public var transferEncoding: String?
        public var content: String
        public var defects: [String]
    }

    public var headers: [[String]]
    public var contentType: String
    public var parts: [Part]
    public var defects: [String]
    public var mailFrom: String
    public var rcptTos: [String]
    public var heloName: String?
    public var extendedSmtp: Bool
    public var tls: Bool
    public var authenticated: Bool
    public var authMechanism: String?
    public var authLogin: String?
    public var connection: Int
    public var raw = Data()

    enum CodingKeys: String, CodingKey {
        case headers, contentType, parts, defects, mailFrom, rcptTos, heloName, extendedSmtp, tls
        case authenticated, authMechanism, authLogin, connection
    }

    /// The decoded value of the first header called `name`.
    public func header(_ name: String) -> String? {
        headers.first { $0.first?.lowercased() == name.lowercased() }?.last
    }

    public var rawText: String { String(decoding: raw, as: UTF8.self) }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command.
public struct TestCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String

    public static func make(in directory: URL) throws -> TestCertificate {
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError("openssl could not make a test certificate (is openssl installed?)")
        }
        return TestCertificate(certificatePath: certificate, keyPath: key)
    }

    /// A fresh directory holding a new certificate; removed by the caller's `defer`.
    public static func makeTemporary() throws -> (TestCertificate, URL) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("paperboy-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try make(in: directory), directory)
    }

    public var serverArguments: [String] { ["--tls-cert", certificatePath, "--tls-key", keyPath] }
}
