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
    /// A request body over the route's limit, in bytes.
    case contentTooLarge(limit: Int)
    /// Too much work queued already: come back after `retryAfter` seconds.
    case overloaded(String, retryAfter: Int)
    /// An upstream (arXiv) that answered wrongly or not at all.
    case badGateway(String)
    case gatewayTimeout(String)

    public struct Link: Equatable, Sendable {
        public var url: String
        public var label: String
    }

    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: return .badRequest
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .contentTooLarge: return .contentTooLarge
        case .overloaded: return .serviceUnavailable
        case .badGateway: return .badGateway
        case .gatewayTimeout: return .gatewayTimeout
        }
    }

    var headers: HTTPFields {
        switch self {
        case .overloaded(_, let retryAfter): return [.retryAfter: "\(retryAfter)"]
        default: return [:]
        }
    }

    var message: String {
        switch self {
        case .badRequest(let message), .forbidden(let message), .notFound(let message, _, _), .overloaded(let message, _),
            .badGateway(let message), .gatewayTimeout(let message):
            return message
        case .contentTooLarge(let limit):
            return "The request body is larger than the \(limit / 1024) KB this address accepts."
        }
    }
}
