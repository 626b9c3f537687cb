/// How a use case of the application can fail, in words for the reader. The case says what
/// kind of failure it is; the web module alone decides what status, log level and page each
/// kind becomes (`ErrorMapping.swift`). Messages are shown as they are, so they must never
/// leak internals.
public enum DomainError: Error, Equatable, Sendable {
    /// Input that can never work (a malformed date, a query parameter out of range).
    case invalid(String)
    /// An action this reader may not take, or a form that did not come from this site.
    case notAllowed(String)
    /// `previous` and `next` let an empty feed period still offer its neighbours.
    case notFound(String, previous: Link? = nil, next: Link? = nil)
    /// The thing exists already (a paper featured before, a taken name).
    case conflict(String)
    /// A reader's quota is used up (submissions a day).
    case limitReached(String)
    /// Too much work waiting already: try again after `retryAfter` seconds.
    case busy(String, retryAfter: Int)
    /// An upstream (arXiv) that answered wrongly or could not be reached.
    case upstreamFailed(String)
    /// An upstream that did not answer within its budget.
    case upstreamTimedOut(String)

    public struct Link: Equatable, Sendable {
        public var url: String
        public var label: String

        public init(url: String, label: String) {
            self.url = url
            self.label = label
        }
    }

    public var message: String {
        switch self {
        case .invalid(let message), .notAllowed(let message), .notFound(let message, _, _), .conflict(let message),
            .limitReached(let message), .busy(let message, _), .upstreamFailed(let message), .upstreamTimedOut(let message):
            return message
        }
    }
}
