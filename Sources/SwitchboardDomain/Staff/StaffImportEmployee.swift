/// One employee an import would create: a ``StaffCSVRow`` that broke no rule, with its values as
/// a single create stores them (the name trimmed, the e-mail address lower-cased).
package struct StaffImportEmployee: Sendable, Equatable {
    /// The CSV row (the header is row 1).
    package let row: Int
    package let fullName: String
    package let extensionNumber: String
    package let email: String?
    package let mobile: String?
    package let numbers: [String]
    package let iccids: [String]

    /// The fields an `employee.create` audit entry names for this person (names, never values).
    package var auditedFields: [String] {
        [StaffCSVColumn.fullName.rawValue, StaffCSVColumn.extension.rawValue]
            + (email == nil ? [] : [StaffCSVColumn.email.rawValue]) + (mobile == nil ? [] : [StaffCSVColumn.mobile.rawValue])
    }

    /// Nil when `row` breaks a rule (``StaffCSVRow/validate(extensionLengths:)`` says which).
    init?(_ row: StaffCSVRow, extensionLengths: ClosedRange<Int>) {
        var validator = Validator()
        guard let fullName = validator.text(row.fullName, field: StaffCSVColumn.fullName.rawValue),
              let extensionNumber = validator.extensionNumber(row.extensionNumber, field: StaffCSVColumn.extension.rawValue, lengths: extensionLengths)
        else { return nil }
        let email = validator.email(row.email, field: StaffCSVColumn.email.rawValue, required: false)
        guard (try? validator.finish()) != nil else { return nil }
        self.row = row.row
        self.fullName = fullName
        self.extensionNumber = extensionNumber
        self.email = email
        self.mobile = row.mobile
        self.numbers = row.numbers
        self.iccids = row.iccids
    }
}
