import Testing

@testable import PaperboyMail

@Suite("SMTPConfiguration from a URL")
struct SMTPConfigurationTests {
    @Test func smtpDefaultsToPort587AndOpportunisticSTARTTLS() throws {
        let configuration = try SMTPConfiguration(url: "smtp://mail.example.org")
        #expect(configuration.host == "mail.example.org")
        #expect(configuration.port == 587)
        #expect(configuration.security == .startTLSIfAvailable)
        #expect(configuration.credentials == nil)
        #expect(configuration.tlsVerification == .full)
    }

    @Test func smtpsIsImplicitTLSOnPort465() throws {
        let configuration = try SMTPConfiguration(url: "smtps://mail.example.org")
        #expect(configuration.port == 465)
        #expect(configuration.security == .implicitTLS)
    }

    @Test func explicitPortWins() throws {
        #expect(try SMTPConfiguration(url: "smtp://mail.example.org:25").port == 25)
        #expect(try SMTPConfiguration(url: "smtps://mail.example.org:2465").port == 2465)
    }

    @Test(arguments: [
        ("required", SMTPConfiguration.Security.startTLSRequired),
        ("off", .none),
        ("opportunistic", .startTLSIfAvailable),
        ("REQUIRED", .startTLSRequired),
    ])
    func starttlsParameter(value: String, expected: SMTPConfiguration.Security) throws {
        #expect(try SMTPConfiguration(url: "smtp://mail.example.org?starttls=\(value)").security == expected)
    }

    @Test func userAndPasswordArePercentDecoded() throws {
        let configuration = try SMTPConfiguration(url: "smtp://me%40example.org:p%40ss%3Aw%2F%C3%B6rd@mail.example.org")
        #expect(configuration.credentials == .init(username: "me@example.org", password: "p@ss:w/örd"))
        #expect(!"\(configuration)".contains("p@ss"))
        #expect(!"\(configuration.credentials!)".contains("p@ss"))
    }

    @Test func userWithoutPasswordHasAnEmptyPassword() throws {
        let configuration = try SMTPConfiguration(url: "smtp://apikey@mail.example.org")
        #expect(configuration.credentials == .init(username: "apikey", password: ""))
    }

    @Test func ipv6Host() throws {
        #expect(try SMTPConfiguration(url: "smtp://[::1]:2525").host == "::1")
    }

    @Test(arguments: [
        "http://mail.example.org",
        "mail.example.org",
        "smtp://",
        "smtp://:pass@mail.example.org",
        "smtp://mail.example.org?starttls=maybe",
        "smtp://mail.example.org?tls=on",
        "smtps://mail.example.org?starttls=required",
        "smtp://mail.example.org:0",
        "smtp://mail.example.org/inbox",
        "smtp://mail.example.org:99999",
        "not a url at all",
    ])
    func badURLsAreRejectedClearly(url: String) {
        #expect(throws: SMTPConfigurationError.self) { try SMTPConfiguration(url: url) }
    }

    @Test func errorsNameTheProblemButNotThePassword() {
        do {
            _ = try SMTPConfiguration(url: "smtp://me:hunter2@mail.example.org?starttls=maybe")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("starttls"))
            #expect(!"\(error)".contains("hunter2"))
        }
    }

    @Test func missingCAFileIsAConfigurationError() throws {
        let configuration = try SMTPConfiguration(
            url: "smtp://mail.example.org",
            tlsVerification: .trustCertificateFile("/nonexistent/ca.pem")
        )
        #expect(throws: SMTPConfigurationError.self) { try SMTPClient(configuration: configuration) }
    }
}
