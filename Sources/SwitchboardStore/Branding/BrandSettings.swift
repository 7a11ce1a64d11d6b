import SwitchboardDomain

/// Everything a reseller sets with `PUT /v1/brand`, already validated.
public struct BrandSettings: Sendable, Equatable {
    public var displayName: String
    public var primaryColor: BrandColor
    public var accentColor: BrandColor
    public var supportEmail: String?
    public var supportPhone: String?
    public var supportURL: String?
    public var defaultLanguage: PortalLanguage
    public var hostnames: [Hostname]

    public init(displayName: String, primaryColor: BrandColor, accentColor: BrandColor, supportEmail: String?, supportPhone: String?,
                supportURL: String?, defaultLanguage: PortalLanguage, hostnames: [Hostname]) {
        self.displayName = displayName
        self.primaryColor = primaryColor
        self.accentColor = accentColor
        self.supportEmail = supportEmail
        self.supportPhone = supportPhone
        self.supportURL = supportURL
        self.defaultLanguage = defaultLanguage
        self.hostnames = hostnames
    }
}
