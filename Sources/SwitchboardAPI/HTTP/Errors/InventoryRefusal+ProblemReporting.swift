import SwitchboardDomain
import SwitchboardStore

/// 422 `not-in-inventory` reads the same for every value outside the caller's stock (the message
/// names no state and no owner); 409 for the caller's own value that is not free.
extension InventoryRefusal: ProblemReporting {
    public var problem: Problem {
        switch self {
        case .notInInventory(let field):
            Problem.validation([FieldViolation(field: field, rule: "not-in-inventory", message: "is not in your stock")])
        case .unavailable(let field, let kind, let state):
            Problem.conflict(
                "This \(kind == .number ? "number" : "SIM card") of your stock is \(state) and cannot be assigned now.",
                type: "\(kind.rawValue)-unavailable",
                errors: [FieldViolation(field: field, rule: state, message: "is \(state)")]
            )
        }
    }
}
