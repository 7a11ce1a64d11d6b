/// How much of a block, batch or reseller's stock is in each state.
public struct NumberStockCounts: Sendable, Equatable {
    public var available = 0
    public var assigned = 0
    public var quarantined = 0

    public init() {}
}

public struct SIMStockCounts: Sendable, Equatable {
    public var available = 0
    public var assigned = 0
    public var lost = 0
    public var stolen = 0

    public init() {}
}
