import HTTPTypes
import Hummingbird

/// Headers that tell browsers to run nothing but our own scripts and styles, never frame our
/// pages, never sniff a content type, and keep the path out of other sites' referrers. On every
/// response, error pages, feeds, JSON and Markdown included.
let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://cdn-thumbnails.huggingface.co https://cdn-uploads.huggingface.co; media-src https://cdn-uploads.huggingface.co; connect-src 'self'; "
    + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// `Strict-Transport-Security` is only sent when the public URL is https.
    let strictTransportSecurity: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "strict-origin-when-cross-origin"
        if strictTransportSecurity {
            response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        }
        return response
    }
}
