import Foundation

public struct SIMBatchRecord: Sendable {
    public var id: UUID
    public var resellerID: UUID
    public var count: Int
    public var allocatedAt: Date
    public var stock: SIMStockCounts
}
