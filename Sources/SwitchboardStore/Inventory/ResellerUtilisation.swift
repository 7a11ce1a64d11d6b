import Foundation

/// One reseller's stock and its use, for the platform.
public struct ResellerUtilisation: Sendable {
    public var resellerID: UUID
    public var numbers: NumberStockCounts
    public var sims: SIMStockCounts
}
