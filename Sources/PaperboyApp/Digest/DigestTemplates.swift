import Foundation
import Mustache

/// The Mustache templates of digest emails (`Resources/digest`). Every `{{value}}` is
/// HTML-escaped. The web module registers the same templates beside its own, so the digest
/// preview page shows exactly what the email holds.
public struct DigestTemplates: Sendable {
    /// Template name → source, for a renderer that adds them to its own library.
    public let sources: [String: String]
    let library: MustacheLibrary

    public init() throws {
        var sources: [String: String] = [:]
        var library = MustacheLibrary()
        for name in Self.names {
            guard
                let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/digest")
                    ?? Bundle.module.url(forResource: name, withExtension: "mustache")
            else { throw DigestTemplateError.missing(name) }
            let source = try String(contentsOf: url, encoding: .utf8)
            sources[name] = source
            library.register(try MustacheTemplate(string: source), named: name)
        }
        self.sources = sources
        self.library = library
    }

    static let names = ["digest-email", "digest-body", "digest-paper"]

    func render(_ template: String, _ context: [String: Any]) throws -> String {
        guard let text = library.render(context, withTemplate: template) else { throw DigestTemplateError.missing(template) }
        return text
    }
}

public enum DigestTemplateError: Error, CustomStringConvertible {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let name): return "the digest template \(name) is missing from the PaperboyApp resource bundle"
        }
    }
}
