import HTTPTypes
import PaperboyCore

/// Errors a request can end with. The case decides the status, the log level and the page;
/// the message is shown to the reader as it is, so it must never leak internals.
public enum AppError: Error, Equatable {
    case badRequest(String)
    /// A form without a valid CSRF token, or an action the reader may not take.
    case forbidden(String)
    /// `neighbours` lets an empty feed day still offer previous/next links.
    case notFound(String, previous: Link? = nil, next: Link? = nil)

    public struct Link: Equatable, Sendable {
        public var url: String
        public var label: String
    }

    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: return .badRequest
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        }
    }

    var message: String {
        switch self {
        case .badRequest(let message), .forbidden(let message), .notFound(let message, _, _): return message
        }
    }
}
