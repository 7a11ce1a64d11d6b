import SwitchboardDomain
import SwitchboardStore

/// What stopped a statement or note, as the client's problem; nothing was issued.
extension StatementRefusal: ProblemReporting {
    public var problem: Problem {
        switch self {
        case .alreadyIssued(let existing):
            Problem.conflict("The statement for this reseller and month was issued already: \(existing.apiString). Correct it with a credit or debit note.",
                             type: "statement-already-issued",
                             errors: [.init(field: "month", rule: "unique", message: "already issued as statement \(existing.apiString)")])
        case .unreconciled(let month, let fromRecords, let usageTotals):
            Problem.conflict("The usage lines computed from the CDRs of \(month) come to \(fromRecords), but the month's usage totals come to \(usageTotals) "
                             + "(or their quantities differ); nothing was issued. Find the difference before issuing.",
                             type: "statement-unreconciled",
                             errors: [.init(field: "month", rule: "reconciled", message: "records \(fromRecords) ≠ usage totals \(usageTotals)")])
        case .notAStatement(let id):
            Problem.conflict("\(id.apiString) is a note; notes correct a statement, not another note.", type: "not-a-statement")
        case .foreignCustomer(let line):
            Problem.validation([.init(field: "lines/\(line)/customerId", rule: "unknown", message: "is not a customer of the statement's reseller")])
        }
    }
}
