import SwitchboardDomain
import SwitchboardStore

/// 409 naming each value some reseller already holds (the platform may know who holds what).
extension AllocationConflict: ProblemReporting {
    public var problem: Problem {
        Problem.conflict(
            "\(fields.count) of the values are already allocated or repeated; nothing was allocated.",
            type: "already-allocated",
            errors: fields.map { FieldViolation(field: $0, rule: "allocated", message: "is already allocated") }
        )
    }
}
