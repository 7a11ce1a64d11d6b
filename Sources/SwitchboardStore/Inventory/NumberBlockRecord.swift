import Foundation

public struct NumberBlockRecord: Sendable {
    public var id: UUID
    public var resellerID: UUID
    public var firstNumber: String?
    public var count: Int
    public var allocatedAt: Date
    public var stock: NumberStockCounts
}
