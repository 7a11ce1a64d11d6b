/// What ``StaffCSVReader`` made of a whole staff CSV. `rows` holds only the records that parsed
/// cleanly; an import applies them only when `errors` is empty and every row validates (all or none).
package struct StaffCSVDocument: Sendable, Equatable {
    /// The known columns the header named, in its order. A server can leave a column the file does
    /// not have untouched instead of clearing it.
    package var columns: [StaffCSVColumn]
    package var rows: [StaffCSVRow]
    /// The file's shape errors (header, cell count, quoting, encoding) in the order they occur.
    package var errors: [StaffCSVError]

    package init(columns: [StaffCSVColumn], rows: [StaffCSVRow], errors: [StaffCSVError]) {
        self.columns = columns
        self.rows = rows
        self.errors = errors
    }
}
