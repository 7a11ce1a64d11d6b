internal import Foundation
import HTTPTypes
import Hummingbird
import SwitchboardDomain
import SwitchboardStore

/// Signing in and out, and the language switch.
extension PortalController {
    struct SignInForm: Decodable {
        var email: String?
        var password: String?
        var csrf: String?
    }

    struct CSRFForm: Decodable {
        var csrf: String?
    }

    func signInPage(_ request: Request) async throws -> Response {
        let visit = try await visit(request)
        if visit.manager != nil { return PortalResponse.redirect(PortalPaths.staff) }
        return signInForm(visit, request: request, status: .ok, errorKey: nil, email: "")
    }

    /// The sign-in form with a fresh double-submit token (the cookie and the hidden field agree).
    func signInForm(_ visit: PortalVisit, request: Request, status: HTTPResponse.Status, errorKey: String?, email: String, retryAfter: Int? = nil) -> Response {
        let token = Credentials.randomToken()
        var values: [String: Any] = ["signInCSRF": token, "email": email]
        if let errorKey { values["formError"] = texts.text(errorKey, visit.language) }
        var response = page("sign-in", visit.signedOut(), title: "sign_in_title", status: status, path: PortalPaths.signIn, values)
        response.setCookie(cookies.signIn(token))
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// Logins are unique per reseller: only this brand's reseller's managers are candidates, so the
    /// same e-mail under another reseller is never tried and never revealed. Throttled like the API.
    func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = try await visit(request).signedOut()
        // Anyone may post here: no more than the API's login body.
        let form = try await form(SignInForm.self, from: request, limit: RequestBoundaryMiddleware.maxLoginBytes)
        guard let cookie = request.cookies[cookies.signInName]?.value, PortalCSRF.matches(form.csrf, cookie) else {
            throw PortalOutcome.page(visit, .forbidden, messageKey: "error_csrf")
        }
        let email = form.email ?? ""
        let source = ClientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], trustedProxies: authenticator.trustedProxies)
        do {
            let session = try await authenticator.login(email: email, password: form.password ?? "", source: source, reseller: visit.brand.resellerID, logger: logger)
            var response = PortalResponse.redirect(PortalPaths.staff)
            response.setCookie(cookies.session(session.token, maxAge: max(60, Int(session.expiresAt.timeIntervalSinceNow))))
            response.setCookie(cookies.endSignIn())
            return response
        } catch let refusal as any ProblemReporting where refusal.status == .unauthorized {
            return signInForm(visit, request: request, status: .unauthorized, errorKey: "sign_in_failed", email: String(email.prefix(254)))
        } catch let refusal as any ProblemReporting where refusal.status == .tooManyRequests {
            let wait = refusal.problem.headers[.retryAfter].flatMap(Int.init)
            return signInForm(visit, request: request, status: .tooManyRequests, errorKey: "error_throttled", email: String(email.prefix(254)), retryAfter: wait)
        }
    }

    func signOut(_ request: Request) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let form = try await form(CSRFForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        try await asManager(manager) { _ = try await service.deleteCurrentSession(.init()) }
        // This replica forgets the session at once; the others on the database's announcement.
        authenticator.credentials.cache.invalidateAll()
        var response = PortalResponse.redirect(PortalPaths.signIn)
        response.setCookie(cookies.endSession())
        return response
    }

    /// Remembers the chosen language and goes back to the page it was chosen on.
    func switchLanguage(_ request: Request) async throws -> Response {
        _ = try await visit(request)
        let next = PortalPaths.safeNext(request.uri.queryParameters.get("next"))
        var response = PortalResponse.redirect(next)
        if let language = request.uri.queryParameters.get("lang").flatMap(PortalLanguage.init(rawValue:)) {
            response.setCookie(cookies.language(language.rawValue))
        }
        return response
    }
}
