import SwitchboardDomain

/// A staff CSV error as the contract's `FieldError`: `field` is the CSV column (`(row)` for the
/// row as a whole), `line` the CSV row (the header is row 1).
extension FieldViolation {
    init(_ error: StaffCSVError) {
        self.init(field: error.column ?? "(row)", rule: error.rule, message: error.detail, line: error.row)
    }
}

extension StaffImportPlan {
    /// The errors an answer lists (at most ``StaffCSVLimits/maxReportedErrors``).
    var reportedErrors: [FieldViolation] {
        errors.prefix(StaffCSVLimits.maxReportedErrors).map(FieldViolation.init)
    }

    /// How many errors in how many rows, and whether the list is cut short.
    var errorSummary: String {
        let all = errors
        let rows = Set(all.map(\.row)).count
        let listed = all.count > StaffCSVLimits.maxReportedErrors ? " (the first \(StaffCSVLimits.maxReportedErrors) are listed)" : ""
        return "\(all.count) error(s) in \(rows) row(s)\(listed); nothing was imported. Fix them and send the whole file again."
    }

    /// 422 with every error located by row and column.
    var refusal: Problem {
        Problem(status: .unprocessableContent, type: Problem.typeURI("validation"), title: "Validation failed", detail: errorSummary, errors: reportedErrors)
    }
}

extension Components.Schemas.ImportReport {
    /// A dry run: what each row that passes would do, and every error.
    init(dryRun plan: StaffImportPlan) {
        self.init(dryRun: true, rows: plan.rowCount, created: 0,
                  results: plan.passing.map { .init(line: $0.row, action: .create) },
                  errors: plan.reportedErrors.map { .init(field: $0.field, rule: $0.rule, message: $0.message, line: $0.line) })
    }

    /// An applied import: every row, with the employee it created.
    init(applied created: [(row: Int, employeeID: String)], rows: Int) {
        self.init(dryRun: false, rows: rows, created: created.count,
                  results: created.map { .init(line: $0.row, action: .create, employeeId: $0.employeeID) }, errors: [])
    }
}
