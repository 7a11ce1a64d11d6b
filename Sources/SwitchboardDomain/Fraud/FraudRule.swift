/// The fraud rules judged over every CDR batch (DESIGN §11), each on outgoing calls of one served number.
public enum FraudRule: String, Sendable, CaseIterable {
    /// International revenue-share and premium-rate pumping: calls to international, premium-rate
    /// or high-risk destinations in the window, counted and costed.
    case highCostBurst = "high-cost-burst"
    /// A hacked line dialling far and wide: distinct called numbers in the window.
    case distinctDestinations = "distinct-destinations"
    /// Wangiri (callback) schemes: floods of calls lasting at most a few seconds in the window.
    case shortCallFlood = "short-call-flood"
    /// One call to a premium-rate or high-risk range lasting long: its duration in seconds.
    case longHighCostCall = "long-high-cost-call"

    /// What the rule's `warningAt` and `criticalAt` count.
    public var measure: String {
        switch self {
        case .highCostBurst: "calls to international, premium-rate or high-risk destinations in the window"
        case .distinctDestinations: "distinct called numbers in the window"
        case .shortCallFlood: "calls of at most shortCallSeconds in the window"
        case .longHighCostCall: "seconds of one call to a premium-rate or high-risk range"
        }
    }
}
