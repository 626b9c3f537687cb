import Foundation
import PaperboyCore
import PaperboyMail

/// An email that asks for one action through one signed link (confirm a subscription, reset a
/// password): a sentence saying why it came, the link, and a note on how long it works and
/// what happens when it is ignored; as plain text and as the same small HTML page with a
/// button. Every value is escaped for the HTML part.
struct ActionEmail {
    /// "Someone, hopefully you, asked to …" (plain text).
    var reason: String
    /// The text part's line before the link, e.g. "Confirm with this link (it works for 7 days):".
    var linkIntro: String
    var link: String
    /// The button's label.
    var action: String
    /// The HTML part's closing note (plain text), e.g. "The link works for 7 days. If it was …".
    var note: String
    /// The text part's closing line.
    var ignoreNote: String
    var subject: String
    /// The HTML page's title.
    var title: String
    /// The Message-ID's first word: confirm, reset.
    var kind: String

    func message(to address: String, from settings: DigestSettings, now: Date, random: any RandomSource) throws -> MailMessage {
        let text = """
            \(reason)

            \(linkIntro)
            \(link)

            \(ignoreNote)
            """
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Markup.escape(title))</title></head>
            <body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1d1f;max-width:560px;margin:0 auto;padding:24px 16px">
            <p>\(Markup.escape(reason))</p>
            <p><a href="\(Markup.escape(link))" style="display:inline-block;background:#ff9d00;color:#111;padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:600">\(Markup.escape(action))</a></p>
            <p style="font-size:13px;color:#666">\(Markup.escape(note))</p>
            </body></html>
            """
        return try MailMessage(
            from: settings.from,
            to: [MailAddress(address)],
            subject: subject,
            text: text,
            html: html,
            date: now,
            messageID: "<\(kind).\(random.hex(16))@\(settings.from.domain)>",
            headers: [try MailHeader("Auto-Submitted", "auto-generated")]
        )
    }
}
