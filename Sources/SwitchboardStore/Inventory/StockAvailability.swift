/// Whether a value can be taken from the caller's stock now.
public enum StockAvailability: Sendable, Equatable {
    case available
    /// Not held by the caller's reseller (unknown, or another reseller's: one answer).
    case notInInventory
    /// Held, but assigned, quarantined, lost or stolen.
    case unavailable(state: String)
}
