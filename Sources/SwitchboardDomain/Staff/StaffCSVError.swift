/// One thing wrong with a staff CSV import, located by row (the header is row 1) and, where one
/// applies, column (its header name). `rule` is a stable name a client can switch on: the
/// `Validator`'s rules (`required`, `format`, `length`, `checkDigit`, …) for values, and for the
/// file's shape `cellCount`, `quoting`, `encoding`, `unknownColumn`, `duplicateColumn`,
/// `missingColumn`.
package struct StaffCSVError: Error, Codable, Sendable, Equatable {
    package let row: Int
    package let column: String?
    package let rule: String
    package let detail: String

    package init(row: Int, column: String?, rule: String, detail: String) {
        self.row = row
        self.column = column
        self.rule = rule
        self.detail = detail
    }
}
