import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyMail

/// Where mail goes and what it says it is from, for `serve` and `digest send`.
struct MailOptions: ParsableArguments {
    @Option(name: Setting.smtpURL.names, help: Setting.smtpURL.help)
    var smtpURL: String?

    @Option(name: Setting.mailFrom.names, help: Setting.mailFrom.help)
    var from: String?

    @Option(name: Setting.smtpCAFile.names, help: Setting.smtpCAFile.help)
    var smtpCAFile: String?

    @Option(name: Setting.smtpConnections.names, help: Setting.smtpConnections.help)
    var smtpConnections: Int?

    @Option(name: Setting.digestPapers.names, help: Setting.digestPapers.help)
    var digestPapers: Int?

    var flags: FlagValues {
        FlagValues(
            integers: [.smtpConnections: smtpConnections, .digestPapers: digestPapers],
            texts: [.smtpURL: smtpURL, .mailFrom: from, .smtpCAFile: smtpCAFile]
        )
    }

    func validate() throws { try flags.validate() }

    /// `Name <address>` or a bare address.
    static func address(_ text: String) throws -> MailAddress {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") else { return try MailAddress(trimmed) }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return try MailAddress(address, displayName: name.isEmpty ? nil : name)
    }
}

extension EffectiveSettings {
    /// The mail set-up, or nil when no mail server is configured.
    func makeMail(publicURL: String, logger: Logger) throws -> DigestMail? {
        guard let url = optionalString(.smtpURL), !url.isEmpty else { return nil }
        do {
            let configuration = try SMTPConfiguration(
                url: url,
                tlsVerification: optionalString(.smtpCAFile).map { .trustCertificateFile($0) } ?? .full,
                heloName: URL(string: publicURL)?.host ?? "localhost"
            )
            let clients: [any MailTransport] = try (0..<int(.smtpConnections)).map { _ in
                try SMTPClient(configuration: configuration, logger: logger)
            }
            let sender = try MailOptions.address(string(.mailFrom))
            return DigestMail(
                transports: clients,
                settings: DigestSettings(from: sender, publicURL: publicURL, trendingCount: int(.digestPapers))
            )
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
