import SwitchboardStore

/// What a client is told about each database outcome its input can cause.
extension StoreError: ProblemReporting {
    public var problem: Problem {
        switch self {
        case .notFound:
            return Problem.notFound()
        case .versionMismatch(let current):
            return Problem.staleETag(current: current)
        case .uniqueViolation(let constraint):
            let field = UniqueConstraint.field(constraint)
            return Problem.conflict("A record with the same \(field) already exists.", type: "duplicate",
                                    errors: [.init(field: field, rule: "unique", message: "is already taken")])
        case .refusedByPolicy:
            return Problem.forbidden("The database's access policy refused this change.")
        case .invalidValue(let column, let rule):
            return Problem.validation([.init(field: ColumnField.field(column), rule: rule, message: "was refused by the stored data's rules (\(rule))")])
        case .malformedValue(let column, let rule):
            let field = ColumnField.field(column)
            return Problem.badRequest("\(field.isEmpty ? "A value" : field) cannot be stored (malformed, or holds a character such as NUL).",
                                      errors: [.init(field: field, rule: rule, message: "is malformed or holds a character that cannot be stored")])
        case .missingReference(let column):
            return Problem.validation([.init(field: ColumnField.field(column), rule: "exists", message: "refers to nothing that exists")])
        case .stillReferenced:
            return Problem.conflict("Other records still refer to this one.", type: "still-referenced")
        case .overlaps(let constraint):
            return Problem.conflict("The change overlaps an existing record.", type: "conflict",
                                    errors: [.init(field: ColumnField.field(constraint), rule: "overlap", message: "overlaps an existing record")])
        case .purgeStarted:
            return Problem.conflict("The customer's data has been purged (or is being purged) after its termination; nothing of it can come back.",
                                    type: "customer-purged")
        }
    }
}
