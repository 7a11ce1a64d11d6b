/// How long a rule keeps its data, in the unit the promise is made in (a calendar month is not 30 days).
public enum RetentionSpan: Sendable, Hashable {
    case hours(Int)
    case days(Int)
    case months(Int)
    case years(Int)

    public var amount: Int {
        switch self {
        case .hours(let n), .days(let n), .months(let n), .years(let n): n
        }
    }

    /// The unit's name as the API spells it.
    public var unit: String {
        switch self {
        case .hours: "hours"
        case .days: "days"
        case .months: "months"
        case .years: "years"
        }
    }

    /// "90 days", "12 months", "1 year".
    public var text: String {
        let name = amount == 1 ? String(unit.dropLast()) : unit
        return "\(amount) \(name)"
    }

    /// The span as a PostgreSQL interval literal's text, bound as a parameter (`'90 days'`).
    public var intervalText: String { "\(amount) \(unit)" }
}
