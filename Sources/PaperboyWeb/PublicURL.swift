import Hummingbird

/// The absolute base URL for links that leave the page (API pagination, feeds, examples):
/// the configured public URL, else the host the request was sent to.
func publicBaseURL(_ request: Request, configured: String?) -> String {
    configured ?? "http://\(request.head.authority ?? "localhost")"
}
