internal import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The telecom managers' portal: server-rendered pages under `/portal/` on a brand's verified
/// hostname, in that brand and language, for the signed-in manager's own company.
///
/// Reads run in the manager's scope (the same policies as the API's); every change goes through
/// the API's own operation (``APIService``), so validation, concurrency checks and the audit trail
/// are the API's. Nothing of a request body is read before the session and the brand are checked.
struct PortalController: Sendable {
    let database: ScopedDatabase
    let authenticator: Authenticator
    let service: APIService
    let renderer: PortalRenderer
    let texts: PortalTexts
    let cookies: PortalCookies
    /// The shared style rules (`Assets/portal.css`); the brand's colours are prepended per host.
    let baseStyleSheet: String

    init(database: ScopedDatabase, authenticator: Authenticator, service: APIService, settings: PortalSettings) throws {
        self.database = database
        self.authenticator = authenticator
        self.service = service
        renderer = try PortalRenderer.bundled()
        texts = try PortalTexts.bundled()
        cookies = PortalCookies(secure: !settings.insecureCookies)
        baseStyleSheet = try String(contentsOf: PortalResources.directory("Assets").appendingPathComponent("portal.css"), encoding: .utf8)
    }

    /// Forms hold a few short fields (the sign-in form has the API's login limit).
    static let formLimit = 16 << 10
    static let pageSize = 25

    var logger: Logger { RequestInfo.current.logger }

    // MARK: the request's visit

    /// The host's brand and the signed-in manager. Throws ``PortalOutcome/neutral`` for a host
    /// that is no verified brand hostname.
    func visit(_ request: Request) async throws -> PortalVisit {
        guard let host = Self.host(of: request) else { throw PortalOutcome.neutral }
        let token = request.cookies[cookies.sessionName]?.value
        var manager: Principal?
        if let token, (16...512).contains(token.utf8.count) {
            do {
                let principal = try await authenticator.credentials.principal(presenting: Credentials.hash(token), kind: Credentials.kind(of: token), logger: logger)
                if principal.role == .customer { manager = principal }
            } catch is AuthenticationFailure {
                manager = nil  // ended or unknown: signed out
            }
        }
        let scope: DatabaseScope = manager.map { .principal($0) } ?? .authenticator(credentialHash: nil, loginEmail: nil)
        let brand = try await database.transaction(scope, logger: logger) { connection in
            try await BrandRepository(connection, logger: logger).portalBrand(host: host)
        }
        guard let brand else { throw PortalOutcome.neutral }
        if manager?.resellerID != brand.resellerID { manager = nil }
        let chosen = request.cookies[PortalCookies.languageName].flatMap { PortalLanguage(rawValue: $0.value) }
        return PortalVisit(host: host, brand: brand, language: chosen ?? brand.defaultLanguage, manager: manager, sessionToken: manager == nil ? nil : token)
    }

    /// The visit of a signed-in manager of this brand, else ``PortalOutcome/signInNeeded(_:)``.
    func managerVisit(_ request: Request) async throws -> (PortalVisit, Principal) {
        let visit = try await visit(request)
        guard let manager = visit.manager else { throw PortalOutcome.signInNeeded(visit) }
        return (visit, manager)
    }

    /// The request's host without its port, lower-cased; nil when it is no hostname.
    static func host(of request: Request) -> String? {
        guard let authority = request.head.authority else { return nil }
        return Hostname(hostHeader: authority)?.value
    }

    /// A form's fields, read only after the caller was checked, within ``formLimit``.
    func form<Form: Decodable>(_ type: Form.Type, from request: Request, limit: Int = PortalController.formLimit) async throws -> Form {
        let buffer = try await request.body.collect(upTo: limit)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
        } catch {
            throw HTTPError(.badRequest)
        }
    }

    /// Refuses a state-changing form without the visit's CSRF token (403 page).
    func requireCSRF(_ presented: String?, _ visit: PortalVisit) throws {
        guard let expected = visit.csrf, PortalCSRF.matches(presented, expected) else {
            throw PortalOutcome.page(visit, .forbidden, messageKey: "error_csrf")
        }
    }

    /// Runs one of the API's operations as the signed-in manager, so a change made in the portal
    /// is the API's change: the same checks, the same audit entry.
    func asManager<T: Sendable>(_ manager: Principal, _ operation: () async throws -> T) async throws -> T {
        var info = RequestInfo.current
        info.access = .roles([.customer])
        info.admittedPrincipal = manager
        return try await RequestInfo.$current.withValue(info) { try await operation() }
    }

    /// In the manager's scope, for a page's reads.
    func read<T: Sendable>(_ manager: Principal, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.transaction(.principal(manager), logger: logger, body)
    }

    // MARK: responses

    /// Renders a page in the visit's brand and language.
    func page(_ template: String, _ visit: PortalVisit, title key: String, status: HTTPResponse.Status = .ok, path: String,
              _ values: [String: Any] = [:]) -> Response {
        var all = layout(visit, titleKey: key, path: path)
        all.merge(values) { _, new in new }
        return PortalResponse.html(renderer.render(template, all), status: status)
    }

    /// What every page's frame shows: the brand, the language switch, the manager's menu.
    func layout(_ visit: PortalVisit, titleKey: String, path: String) -> [String: Any] {
        let words = texts.texts(visit.language)
        let brand = visit.brand
        var brandValues: [String: Any] = ["name": brand.displayName]
        if brand.hasLogo { brandValues["logoURL"] = "/portal/logo?v=\(brand.version)" }
        if let email = brand.supportEmail { brandValues["supportEmail"] = email }
        if let phone = brand.supportPhone { brandValues["supportPhone"] = phone }
        if let url = brand.supportURL { brandValues["supportURL"] = url }
        let next = PortalPaths.encode(path)
        return [
            "t": words,
            "lang": visit.language.rawValue,
            "title": (words[titleKey] ?? titleKey) + " – " + brand.displayName,
            "brand": brandValues,
            "hasSupport": brand.supportEmail != nil || brand.supportPhone != nil || brand.supportURL != nil,
            "styleURL": "/portal/style.css?v=\(brand.version)",
            "signedIn": visit.manager != nil,
            "csrf": visit.csrf ?? "",
            "langDaURL": "/portal/language?lang=da&next=\(next)",
            "langEnURL": "/portal/language?lang=en&next=\(next)",
            "isDanish": visit.language == .danish,
            "isEnglish": visit.language == .english,
        ]
    }

    /// The page for an outcome (or any other error of a portal request).
    func respond(to error: any Error, request: Request) -> Response {
        switch error {
        case PortalOutcome.neutral:
            return neutralPage(status: .notFound)
        case PortalOutcome.signInNeeded:
            return PortalResponse.redirect("/portal/sign-in")
        case PortalOutcome.page(let visit, let status, let key):
            return errorPage(visit, status: status, messageKey: key, path: request.uri.path)
        default:
            return neutralPage(status: PortalResponse.status(of: error))
        }
    }

    func errorPage(_ visit: PortalVisit, status: HTTPResponse.Status, messageKey: String, path: String) -> Response {
        page("error", visit, title: "error_title", status: status, path: path, ["message": texts.text(messageKey, visit.language), "status": status.code])
    }

    /// For hosts that are no verified brand hostname, and for failures before a brand is known:
    /// no brand, no product name, in both languages.
    func neutralPage(status: HTTPResponse.Status) -> Response {
        let values: [String: Any] = ["da": texts.texts(.danish), "en": texts.texts(.english), "status": status.code]
        return PortalResponse.html(renderer.render("neutral", values), status: status)
    }

    /// The page for an error raised outside a portal handler (no route, a body over its limit), or
    /// nil for the API's problem document. A brand's verified host only ever shows its brand's pages,
    /// whatever the path; elsewhere the portal's paths and browsers get the neutral page.
    func pageForError(_ request: Request, status: HTTPResponse.Status) async -> Response? {
        if let visit = try? await visit(request) {
            return errorPage(visit, status: status, messageKey: PortalResponse.messageKey(for: status), path: request.uri.path)
        }
        let path = request.uri.path
        let underPortal = path == "/portal" || path.hasPrefix("/portal/")
        guard underPortal || request.headers[.accept]?.contains("text/html") == true else { return nil }
        return neutralPage(status: status)
    }

    /// Runs a handler and turns whatever it throws into a page.
    func serving(_ request: Request, _ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let outcome as PortalOutcome {
            return respond(to: outcome, request: request)
        } catch {
            let status = PortalResponse.status(of: error)
            if status.code >= 500 {
                logger.error("portal request failed", metadata: ["error": "\(error)"])
            }
            // On a brand's host the error page wears the brand (when the database can still tell it).
            if let visit = try? await visit(request) {
                return errorPage(visit, status: status, messageKey: PortalResponse.messageKey(for: status), path: request.uri.path)
            }
            return neutralPage(status: status)
        }
    }
}
