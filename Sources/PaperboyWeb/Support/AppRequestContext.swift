import Hummingbird
import PaperboyApp
import PaperboyStore

/// The request context of every route: Hummingbird's core storage plus who is asking.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `SessionMiddleware` when the cookie names a live session.
    public var session: ActiveSession?
    /// The client's IP address, for rate limits: the TCP peer, or the address a trusted proxy
    /// forwarded (`ForwardedClientMiddleware`); nil in in-process tests.
    public internal(set) var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    public var reader: Reader? { session?.reader }
}
