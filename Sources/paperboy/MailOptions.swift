import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyMail

/// Where mail goes and what it says it is from, for `serve` and `digest send`.
struct MailOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Mail server, smtp://user:pass@host:587 or smtps://user:pass@host:465; ?starttls=required|opportunistic|off (env PAPERBOY_SMTP_URL)."
    )
    var smtpURL: String?

    @Option(name: .long, help: "Sender of digests and confirmations, e.g. 'Paperboy <digest@papers.example.org>' (env PAPERBOY_MAIL_FROM).")
    var from: String?

    @Option(name: .long, help: "Trust only this PEM certificate (or CA) for the mail server's TLS (env PAPERBOY_SMTP_CA_FILE).")
    var smtpCAFile: String?

    @Option(name: .long, help: "Parallel SMTP connections a digest run uses (env PAPERBOY_SMTP_CONNECTIONS, default 4).")
    var smtpConnections: Int?

    @Option(name: .long, help: "Trending papers per digest (env PAPERBOY_DIGEST_PAPERS, default 10).")
    var digestPapers: Int?

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    var smtpURLValue: String? { smtpURL ?? environment["PAPERBOY_SMTP_URL"] }

    func validate() throws {
        if let digestPapers, !(1...50).contains(digestPapers) { throw ValidationError("--digest-papers must be 1 to 50") }
        if let smtpConnections, !(1...32).contains(smtpConnections) { throw ValidationError("--smtp-connections must be 1 to 32") }
    }

    /// The mail set-up, or nil when no mail server is configured.
    func makeMail(publicURL: String, logger: Logger) throws -> DigestMail? {
        guard let url = smtpURLValue, !url.isEmpty else { return nil }
        let caFile = smtpCAFile ?? environment["PAPERBOY_SMTP_CA_FILE"]
        do {
            let configuration = try SMTPConfiguration(
                url: url,
                tlsVerification: caFile.map { .trustCertificateFile($0) } ?? .full,
                heloName: URL(string: publicURL)?.host ?? "localhost"
            )
            let connections = smtpConnections ?? environment["PAPERBOY_SMTP_CONNECTIONS"].flatMap(Int.init) ?? 4
            let clients: [any MailTransport] = try (0..<max(1, connections)).map { _ in
                try SMTPClient(configuration: configuration, logger: logger)
            }
            let sender = try Self.address(from ?? environment["PAPERBOY_MAIL_FROM"] ?? "Paperboy <digest@localhost>")
            let papers = digestPapers ?? environment["PAPERBOY_DIGEST_PAPERS"].flatMap(Int.init) ?? 10
            return DigestMail(
                transports: clients,
                settings: DigestSettings(from: sender, publicURL: publicURL, trendingCount: papers)
            )
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// `Name <address>` or a bare address.
    static func address(_ text: String) throws -> MailAddress {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") else { return try MailAddress(trimmed) }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return try MailAddress(address, displayName: name.isEmpty ? nil : name)
    }
}
