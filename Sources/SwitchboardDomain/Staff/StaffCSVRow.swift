/// One employee as a staff CSV import gives it, before any rule is checked: the server checks
/// with ``validate(extensionLengths:)`` (the `Validator`'s rules) and keeps the values it returns
/// through its own `Validator` as for a single create.
package struct StaffCSVRow: Sendable, Equatable {
    /// The CSV record's number: the header is row 1, so the first data row is 2. Records are
    /// counted, not physical lines, as a spreadsheet numbers them (a cell may hold a line break).
    package var row: Int
    package var fullName: String
    package var extensionNumber: String
    /// Nil when the cell is empty (or only spaces) or the column is absent.
    package var email: String?
    package var mobile: String?
    /// The cell's values split at spaces; empty when the cell is empty or the column is absent.
    package var numbers: [String]
    package var iccids: [String]

    package init(
        row: Int, fullName: String, extensionNumber: String, email: String? = nil, mobile: String? = nil,
        numbers: [String] = [], iccids: [String] = []
    ) {
        self.row = row
        self.fullName = fullName
        self.extensionNumber = extensionNumber
        self.email = email
        self.mobile = mobile
        self.numbers = numbers
        self.iccids = iccids
    }

    /// Every rule this row breaks, each located by row and CSV column. The rules are the
    /// `Validator`'s, as for a single employee, number or SIM: text for the name, the customer's
    /// extension lengths, an optional e-mail address, E.164 for the mobile and each number, digits
    /// and Luhn for each ICCID. Where a cell holds several values, the detail says which one.
    package func validate(extensionLengths: ClosedRange<Int>) -> [StaffCSVError] {
        var violations: [(violation: FieldViolation, detailPrefix: String)] = []
        func check(_ body: (inout Validator) -> Void, prefix: String = "") {
            var validator = Validator()
            body(&validator)
            do {
                try validator.finish()
            } catch let failure as ValidationFailure {
                violations += failure.violations.map { ($0, prefix) }
            } catch {
                preconditionFailure("Validator.finish() throws only ValidationFailure, not \(error)")
            }
        }
        check { _ = $0.text(fullName, field: StaffCSVColumn.fullName.rawValue) }
        check { _ = $0.extensionNumber(extensionNumber, field: StaffCSVColumn.extension.rawValue, lengths: extensionLengths) }
        check { _ = $0.email(email, field: StaffCSVColumn.email.rawValue, required: false) }
        check { _ = $0.phone(mobile, field: StaffCSVColumn.mobile.rawValue) }
        for (index, number) in numbers.enumerated() {
            check({ _ = $0.phone(number, field: StaffCSVColumn.number.rawValue) }, prefix: Self.position(index, of: numbers.count))
        }
        for (index, iccid) in iccids.enumerated() {
            check({ _ = $0.iccid(iccid, field: StaffCSVColumn.iccid.rawValue) }, prefix: Self.position(index, of: iccids.count))
        }
        return violations.map { violation, prefix in
            StaffCSVError(row: row, column: violation.field, rule: violation.rule, detail: prefix + violation.message)
        }
    }

    /// How a detail names one value of a cell holding several.
    static func position(_ index: Int, of count: Int) -> String {
        count > 1 ? "value \(index + 1) of \(count) " : ""
    }
}
