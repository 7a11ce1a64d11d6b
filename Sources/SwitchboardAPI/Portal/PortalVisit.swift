internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// What the portal knows about a request once its host and cookies are read: the brand its
/// verified hostname selects, the language, and the signed-in manager (only one of that brand's
/// reseller: a session of another reseller's manager counts as no session here).
struct PortalVisit: Sendable {
    let host: String
    let brand: PortalBrand
    let language: PortalLanguage
    let manager: Principal?
    let sessionToken: String?

    /// The CSRF token the signed-in manager's forms carry.
    var csrf: String? { sessionToken.map(PortalCSRF.token(forSession:)) }

    func signedOut() -> PortalVisit {
        PortalVisit(host: host, brand: brand, language: language, manager: nil, sessionToken: nil)
    }
}
