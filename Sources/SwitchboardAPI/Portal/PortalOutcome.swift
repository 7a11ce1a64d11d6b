import Hummingbird

/// Why a portal request cannot be served as asked, rendered as a page in the brand (or, with no
/// brand, the neutral page) rather than as the API's problem document.
enum PortalOutcome: Error {
    /// The host is no verified brand hostname: the neutral page, nothing of any brand or product.
    case neutral
    /// Not signed in (or signed in under another brand): to the sign-in page.
    case signInNeeded(PortalVisit)
    /// A branded error page with this status and message key (see `Texts/*.json`).
    case page(PortalVisit, HTTPResponse.Status, messageKey: String)
}
