/// The kinds of lines a statement holds, each with the unit its quantity counts.
public enum StatementCategory: String, Sendable, CaseIterable {
    case calls
    case sms
    case data
    case numberRental = "number-rental"
    case simRental = "sim-rental"
    case adjustment

    /// What `quantity` counts: calls carry their billed minutes beside the count.
    public var unit: String {
        switch self {
        case .calls: "calls"
        case .sms: "messages"
        case .data: "bytes"
        case .numberRental: "numbers"
        case .simRental: "sims"
        case .adjustment: "items"
        }
    }

    /// The usage category of a CDR kind (`call`, `sms`, `data`).
    public init?(cdrKind: String) {
        switch cdrKind {
        case "call": self = .calls
        case "sms": self = .sms
        case "data": self = .data
        default: return nil
        }
    }
}
