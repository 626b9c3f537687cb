import Hummingbird
import NIOCore
import PaperboyApp

/// The urlencoded forms our pages post, decoded with Hummingbird's `URLEncodedFormDecoder`.
/// Every field is optional: a missing field reads as empty and gets the same clear message
/// as an empty one. A body that is not a form at all is a 400.
protocol CSRFProtectedForm: Decodable, Sendable {
    /// The session's CSRF token, or a visitor's signed form token.
    var csrf: String? { get }
}

/// A form that carries nothing but its token (log-out, token revocation).
struct TokenOnlyForm: CSRFProtectedForm {
    var csrf: String?
}

struct SignUpForm: CSRFProtectedForm {
    var csrf: String?
    var email: String?
    var name: String?
    var displayName: String?
    var password: String?
    var next: String?
}

struct LogInForm: CSRFProtectedForm {
    var csrf: String?
    var email: String?
    var password: String?
    var next: String?
}

struct ForgotPasswordForm: CSRFProtectedForm {
    var csrf: String?
    var email: String?
}

struct ResetPasswordForm: CSRFProtectedForm {
    var csrf: String?
    var token: String?
    var password: String?
}

/// The upvote button: `action=remove` takes the vote back, anything else adds it.
struct VoteForm: CSRFProtectedForm {
    var csrf: String?
    var action: String?
    var next: String?
}

struct NewTokenForm: CSRFProtectedForm {
    var csrf: String?
    var name: String?
}

struct PasswordForm: CSRFProtectedForm {
    var csrf: String?
    var current: String?
    var password: String?
}

struct SubmitForm: CSRFProtectedForm {
    var csrf: String?
    var id: String?
}

/// The admin forms: `id` is an arXiv id or URL, `date` a feed day (YYYY-MM-DD), `next` where
/// to go afterwards (the dashboard when absent).
struct AdminForm: CSRFProtectedForm {
    var csrf: String?
    var id: String?
    var date: String?
    var next: String?
}

struct SubscribeForm: CSRFProtectedForm {
    var csrf: String?
    var email: String?
}

/// `/settings/digest`: `action` is `subscribe` or `unsubscribe`.
struct DigestSettingsForm: CSRFProtectedForm {
    var csrf: String?
    var action: String?
}

/// The confirmation page's unsubscribe button, or a mail client's RFC 8058 one-click POST
/// (`List-Unsubscribe=One-Click`, the token in the URL).
struct UnsubscribeForm: Decodable, Sendable {
    var token: String?
}

/// `POST /api/papers/submit`: `{"id": "<arXiv id or URL>"}`.
struct SubmitRequest: Decodable, Sendable {
    var id: String
}

enum Forms {
    static let decoder = URLEncodedFormDecoder()

    static func decode<Form: Decodable>(_ type: Form.Type, from body: ByteBuffer) throws -> Form {
        do {
            return try decoder.decode(Form.self, from: String(buffer: body))
        } catch {
            throw DomainError.invalid("The form could not be read: \(error)")
        }
    }
}

/// A new comment or reply (`parent`: the comment replied to), or an edit.
struct CommentForm: CSRFProtectedForm {
    var csrf: String?
    var body: String?
    var parent: String?
}

struct ReportForm: CSRFProtectedForm {
    var csrf: String?
    var reason: String?
}

/// A new collection, or a collection's new name, description and visibility.
struct CollectionForm: CSRFProtectedForm {
    var csrf: String?
    var name: String?
    var description: String?
    /// "on" (a checkbox) or "public": public; anything else: private.
    var visibility: String?
}

/// A paper in a collection: add, remove, note, move (`direction` up or down, or `position`).
struct CollectionPaperForm: CSRFProtectedForm {
    var csrf: String?
    var paper: String?
    var note: String?
    var direction: String?
    var next: String?
}

/// Saving a paper from its page: into `collection` (an id), or into a new collection `name`.
struct SaveForm: CSRFProtectedForm {
    var csrf: String?
    var collection: String?
    var name: String?
    var action: String?
    var next: String?
}

struct DisplayNameForm: CSRFProtectedForm {
    var csrf: String?
    var displayName: String?
}
