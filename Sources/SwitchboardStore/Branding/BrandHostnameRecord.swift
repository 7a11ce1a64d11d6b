import Foundation

/// A hostname a reseller claimed for its portal, and whether (and how) it was proven.
public struct BrandHostnameRecord: Sendable, Equatable {
    public var resellerID: UUID
    public var hostname: String
    /// Published by the reseller as a TXT record to prove control of the name.
    public var verificationToken: String
    public var addedAt: Date
    public var verifiedAt: Date?
    /// `dns` (the TXT record was found) or `platform` (staff verified it by hand).
    public var verifiedHow: String?
}
