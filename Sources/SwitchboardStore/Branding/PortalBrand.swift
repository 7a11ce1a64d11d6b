import Foundation
import SwitchboardDomain

/// What the portal shows of the brand a request's verified hostname selects: what any visitor
/// of that portal may see, and nothing else of the reseller.
public struct PortalBrand: Sendable, Equatable {
    public var resellerID: UUID
    public var displayName: String
    public var primaryColor: BrandColor
    public var accentColor: BrandColor
    public var supportEmail: String?
    public var supportPhone: String?
    public var supportURL: String?
    public var defaultLanguage: PortalLanguage
    public var hasLogo: Bool
    /// Changes with every change of the brand, so the logo's and style sheet's URLs can be cached.
    public var version: Int
}
