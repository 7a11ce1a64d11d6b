/// What becomes of a SIM card released from its holder.
public enum SIMDisposition: String, Sendable, CaseIterable {
    /// Back to the reseller's available stock.
    case available
    /// Retired for good: reported lost.
    case lost
    /// Retired for good: reported stolen.
    case stolen

    public var state: SIMState {
        switch self {
        case .available: .available
        case .lost: .lost
        case .stolen: .stolen
        }
    }
}
