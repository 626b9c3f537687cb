import Hummingbird
import NIOCore

/// The most a request body may hold, by kind of route (README, "Limits").
enum BodyLimit {
    /// Log-in, sign-up, settings, upvote, submit, comment and collection forms, and the JSON
    /// bodies of the comment and collection API.
    static let form = 64 * 1024
    /// The footer subscribe form, unsubscribe and the JSON submission API.
    static let small = 16 * 1024
}

extension Request {
    /// The whole body, or `BodyTooLarge` (413) when it is longer than `limit`:
    /// at once when `Content-Length` says so, without waiting for the body.
    mutating func collectBody(limit: Int) async throws -> ByteBuffer {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw BodyTooLarge(limit: limit)
        }
        do {
            return try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw BodyTooLarge(limit: limit)
        }
    }
}
