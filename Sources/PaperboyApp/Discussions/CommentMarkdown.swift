import Foundation
import Ink
import PaperboyCore

/// Comments are Markdown, rendered by Ink and then held to an allowlist, so that nothing a
/// reader writes becomes markup of their choosing:
/// - raw HTML (blocks and inline tags) is shown as text;
/// - links keep only http(s), mailto, site-relative and fragment URLs, and carry
///   `rel="nofollow ugc"`; any other link is shown as the Markdown that was written;
/// - images become links to the image (no third-party image loads from a comment);
/// - headings become `<h4>`, under the paper page's own headings;
/// - a last pass escapes every `<` that does not open a tag of the allowlist with exactly the
///   attributes it allows, whatever Ink produced.
public enum CommentMarkdown {
    public static func html(_ markdown: String) -> String {
        // Ink reads a leading `---` block as metadata and drops it; a comment has none, so a
        // leading rule is written the other way.
        let source = markdown.hasPrefix("---") ? "***" + markdown.dropFirst(3) : markdown
        return allowlisted(parser.html(from: source))
    }

    /// The comment as plain text (for feed titles and digests): Markdown markers removed.
    public static func plainText(_ markdown: String, limit: Int = 140) -> String {
        let html = html(markdown)
        var text = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
                text.append(" ")
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                text.append(character)
            }
        }
        let unescaped = text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
        let words = unescaped.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count <= limit ? words : String(words.prefix(limit - 1)) + "…"
    }

    /// A new parser per use: `MarkdownParser` is a small value that is not `Sendable`.
    private static var parser: MarkdownParser {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .html) { input in Markup.escape(String(input.markdown)) })
        parser.addModifier(Modifier(target: .links) { input in link(input.html) ?? Markup.escape(String(input.markdown)) })
        parser.addModifier(Modifier(target: .images) { input in image(input.markdown) ?? Markup.escape(String(input.markdown)) })
        parser.addModifier(Modifier(target: .headings) { input in heading(input.html) })
        return parser
    }

    /// `<a href="URL">TEXT</a>` from Ink, rebuilt with `rel`; nil when the URL is not allowed.
    /// An allowed URL has no `"`, so the first `">` ends it.
    private static func link(_ html: String) -> String? {
        let prefix = "<a href=\""
        let suffix = "</a>"
        guard html.hasPrefix(prefix), html.hasSuffix(suffix) else { return nil }
        let rest = html.dropFirst(prefix.count).dropLast(suffix.count)
        guard let end = rest.range(of: "\">") else { return nil }
        guard let url = safeURL(String(rest[..<end.lowerBound])) else { return nil }
        return "<a href=\"\(url)\" rel=\"nofollow ugc\">\(rest[end.upperBound...])</a>"
    }

    /// `![alt](url)` as a link to the image, the alt text (or "image") as its text.
    private static func image(_ markdown: Substring) -> String? {
        guard markdown.hasPrefix("!["), markdown.hasSuffix(")"), let split = markdown.range(of: "](", options: .backwards) else {
            return nil
        }
        let alt = markdown[markdown.index(markdown.startIndex, offsetBy: 2)..<split.lowerBound]
        var target = markdown[split.upperBound..<markdown.index(before: markdown.endIndex)]
        if let space = target.firstIndex(where: \.isWhitespace) { target = target[..<space] }
        guard let url = safeURL(String(target)) else { return nil }
        let text = alt.isEmpty ? "image" : Markup.escape(String(alt))
        return "<a href=\"\(url)\" rel=\"nofollow ugc\">\(text)</a>"
    }

    private static func heading(_ html: String) -> String {
        guard html.count >= 9, html.hasPrefix("<h"), html.hasSuffix(">") else { return html }
        let inner = html.dropFirst(4).dropLast(5)
        return "<h4>\(inner)</h4>"
    }

    /// The URL, its `&` escaped, when it is one a comment may link to.
    static func safeURL(_ raw: String) -> String? {
        let url = raw.replacingOccurrences(of: "&amp;", with: "&")
        guard !url.isEmpty, url.count <= 2000 else { return nil }
        guard !url.contains(where: { $0.isWhitespace || "\"'<>`\\".contains($0) || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            return nil
        }
        let lower = url.lowercased()
        let allowed =
            lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:")
            || (lower.hasPrefix("/") && !lower.hasPrefix("//")) || lower.hasPrefix("#")
        guard allowed else { return nil }
        return url.replacingOccurrences(of: "&", with: "&amp;")
    }

    // MARK: - The allowlist

    private static let bareTags: Set<String> = [
        "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "h4", "hr", "del", "s",
        "table", "thead", "tbody", "tr", "th", "td",
    ]

    /// Keeps each tag whose whole text is allowed; escapes the `<` of anything else.
    static func allowlisted(_ html: String) -> String {
        var result = ""
        result.reserveCapacity(html.utf8.count)
        var index = html.startIndex
        while let open = html[index...].firstIndex(of: "<") {
            result += html[index..<open]
            let afterOpen = html.index(after: open)
            if let close = html[afterOpen...].firstIndex(of: ">"), isAllowedTag(html[afterOpen..<close]) {
                result += html[open...close]
                index = html.index(after: close)
            } else {
                result += "&lt;"
                index = afterOpen
            }
        }
        result += html[index...]
        return result
    }

    static func isAllowedTag(_ tag: Substring) -> Bool {
        var name = tag
        if name.hasPrefix("/") { name = name.dropFirst() }
        if name.hasSuffix("/") { name = name.dropLast() }
        if bareTags.contains(String(name)) || tag == "/a" { return true }
        guard !tag.hasPrefix("/"), let space = tag.firstIndex(of: " ") else { return false }
        let element = tag[..<space]
        let attributes = tag[tag.index(after: space)...]
        switch element {
        case "a":
            let prefix = "href=\""
            let suffix = "\" rel=\"nofollow ugc\""
            guard attributes.hasPrefix(prefix), attributes.hasSuffix(suffix), attributes.count > prefix.count + suffix.count else {
                return false
            }
            let url = attributes.dropFirst(prefix.count).dropLast(suffix.count)
            return safeURL(String(url)) != nil
        case "code":
            return matches(attributes, prefix: "class=\"language-", allowed: { $0.isLetter || $0.isNumber || "+-_#".contains($0) })
        case "ol":
            return matches(attributes, prefix: "start=\"", allowed: \.isNumber)
        case "th", "td":
            return ["align=\"left\"", "align=\"right\"", "align=\"center\""].contains(String(attributes))
        default:
            return false
        }
    }

    /// `prefix` + one or more allowed characters + `"`.
    private static func matches(_ attributes: Substring, prefix: String, allowed: (Character) -> Bool) -> Bool {
        guard attributes.hasPrefix(prefix), attributes.hasSuffix("\"") else { return false }
        let value = attributes.dropFirst(prefix.count).dropLast()
        return !value.isEmpty && value.count <= 40 && value.allSatisfy { $0.isASCII && allowed($0) }
    }
}
