import HTTPTypes
import Logging
import PaperboyApp

/// The one place where the application's failures become HTTP: each kind of failure gets its
/// status, extra headers and the level it is logged at.
struct ErrorMapping: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    /// Nil: not logged (the reader's own doing, answered with a clear message).
    var logLevel: Logger.Level?
    var logMessage: Logger.Message = "request refused"
    var message: String
    /// Previous/next links an empty feed period still offers.
    var previous: DomainError.Link?
    var next: DomainError.Link?

    init(_ error: DomainError) {
        message = error.message
        switch error {
        case .invalid: status = .badRequest
        case .notAllowed: status = .forbidden
        case .notFound(_, let previous, let next):
            status = .notFound
            self.previous = previous
            self.next = next
        case .conflict: status = .conflict
        case .limitReached: status = .tooManyRequests
        case .busy(_, let retryAfter):
            status = .serviceUnavailable
            headers = [.retryAfter: "\(retryAfter)"]
        case .upstreamFailed:
            status = .badGateway
            logLevel = .warning
            logMessage = "an upstream failed"
        case .upstreamTimedOut:
            status = .gatewayTimeout
            logLevel = .warning
            logMessage = "an upstream did not answer in time"
        }
    }

    init(_ error: BodyTooLarge) {
        status = .contentTooLarge
        logLevel = .info
        logMessage = "request body too large"
        message = "The request body is larger than the \(error.limit / 1024) KB this address accepts."
    }

    init(_ refusal: SubmissionService.Refusal) {
        self.init(refusal.domainError)
    }

    /// Not an admin: 404, the area does not exist for them (nothing logged, nothing revealed).
    init(_ refusal: AdminService.Refusal) {
        self.init(refusal.domainError)
    }

    init(_ refusal: AccountService.Refusal) {
        message = refusal.message
        switch refusal {
        case .invalid, .wrongPassword: status = .badRequest
        case .emailTaken, .nameTaken: status = .conflict
        case .wrongCredentials: status = .unauthorized
        }
    }

    /// The mapping of any error the application throws on purpose; nil for a bug.
    static func of(_ error: any Error) -> ErrorMapping? {
        switch error {
        case let error as DomainError: return ErrorMapping(error)
        case let error as BodyTooLarge: return ErrorMapping(error)
        case let refusal as SubmissionService.Refusal: return ErrorMapping(refusal)
        case let refusal as AccountService.Refusal: return ErrorMapping(refusal)
        case let refusal as AdminService.Refusal: return ErrorMapping(refusal)
        default: return nil
        }
    }
}

/// A request body over its route's limit, in bytes (an HTTP matter: the application never
/// sees such a request).
struct BodyTooLarge: Error, Equatable {
    var limit: Int
}
