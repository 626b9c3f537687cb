import Foundation
import Hummingbird
import PaperboyApp
import PaperboyCore

/// `/password/forgot` and `/password/reset`: a reset link by email.
struct PasswordResetRoutes: Sendable {
    let reset: PasswordResetService
    let forms: AccountRoutes
    let publicURL: LinkBase

    func register(on router: Router<AppRequestContext>) {
        router.get("/password/forgot") { request, context in try await forgotPage(request, context) }
        router.post("/password/forgot") { request, context in
            let (_, form) = try await forms.verifiedForm(ForgotPasswordForm.self, request, context)
            let email = (form.email ?? "").trimmingWhitespace()
            guard email.contains("@"), email.count <= 254 else {
                return try await forgotPage(request, context, error: "Enter the email address of your account.", status: .badRequest)
            }
            await reset.requestReset(email: email, siteURL: publicURL.base(for: request))
            return try await forgotPage(
                request,
                context,
                message: "If an account has that address, a link to choose a new password is on its way to it. It works once, for an hour."
            )
        }
        router.get("/password/reset") { request, context in
            let token = QueryString(request).get("token") ?? ""
            do {
                let reader = try await reset.reader(for: token)
                return try await forms.formPage("password-reset", request, context, values: ["token": token, "name": reader.name])
            } catch let refusal as PasswordResetService.Refusal {
                return try await forgotPage(request, context, error: refusal.message, status: .badRequest)
            }
        }
        router.post("/password/reset") { request, context in
            let (_, form) = try await forms.verifiedForm(ResetPasswordForm.self, request, context)
            let token = form.token ?? ""
            do {
                _ = try await reset.reset(token: token, to: form.password ?? "")
                return try await forms.formPage(
                    "login",
                    request,
                    context,
                    notice: "Your password is changed, and every session of your account has ended: log in with the new one."
                )
            } catch PasswordResetService.Refusal.weakPassword(let problem) {
                return try await forms.formPage("password-reset", request, context, error: problem, values: ["token": token], status: .badRequest)
            } catch let refusal as PasswordResetService.Refusal {
                return try await forgotPage(request, context, error: refusal.message, status: .badRequest)
            }
        }
    }

    func forgotPage(
        _ request: Request,
        _ context: AppRequestContext,
        error: String? = nil,
        message: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var values: [String: String] = [:]
        if !reset.canSendMail { values["mailOff"] = "yes" }
        return try await forms.formPage("password-forgot", request, context, error: error, notice: message, values: values, status: status)
    }
}
