import Foundation

/// A reseller's brand as stored (the logo's bytes are read separately).
public struct BrandRecord: Sendable, Equatable {
    public var resellerID: UUID
    public var displayName: String
    public var primaryColor: String
    public var accentColor: String
    public var supportEmail: String?
    public var supportPhone: String?
    public var supportURL: String?
    public var defaultLanguage: String
    public var logoMediaType: String?
    public var logoWidth: Int?
    public var logoHeight: Int?
    public var logoBytes: Int?
    public var version: Int
    public var updatedAt: Date
    /// In name order.
    public var hostnames: [BrandHostnameRecord]
}
