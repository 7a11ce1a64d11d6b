/// Where a SIM card of a reseller's stock stands. Lost and stolen cards are never assigned again.
public enum SIMState: String, Sendable, CaseIterable {
    case available
    case assigned
    case lost
    case stolen
}
