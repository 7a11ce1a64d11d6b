/// Where a number of a reseller's stock stands. A quarantined number whose quarantine has ended
/// counts as available (the state is evaluated at the time of asking).
public enum NumberState: String, Sendable, CaseIterable {
    case available
    case assigned
    case quarantined
}
