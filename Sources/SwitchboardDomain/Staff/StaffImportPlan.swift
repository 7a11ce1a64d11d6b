/// What a staff CSV import would do, checked as far as the file alone can tell, then completed
/// with what the database says (extensions in use, values outside the caller's stock) through
/// ``refuse(_:_:)``. The import applies only when ``errors`` is empty: all rows or none.
package struct StaffImportPlan: Sendable {
    /// Data rows the file held, valid or not.
    package let rowCount: Int
    /// The rows the file alone finds nothing wrong with, in file order: what the database is asked about.
    package private(set) var employees: [StaffImportEmployee]
    private var found: [StaffCSVError]

    /// Every error, ordered by row (a row's own errors in the order they were found).
    package var errors: [StaffCSVError] {
        found.enumerated().sorted { ($0.element.row, $0.offset) < ($1.element.row, $1.offset) }.map(\.element)
    }

    package var isApplicable: Bool { found.isEmpty }

    /// The rows without any error: what a dry run reports each would do.
    package var passing: [StaffImportEmployee] {
        let refused = Set(found.map(\.row))
        return employees.filter { !refused.contains($0.row) }
    }

    package init(_ document: StaffCSVDocument, extensionLengths: ClosedRange<Int>) {
        rowCount = document.rows.count
        found = document.errors
        employees = []
        if document.errors.isEmpty, document.rows.isEmpty {
            found.append(StaffCSVError(row: 2, column: nil, rule: "required", detail: "the file has no employee rows below its header"))
        }
        for row in document.rows {
            let violations = row.validate(extensionLengths: extensionLengths)
            found += violations
            if violations.isEmpty, let employee = StaffImportEmployee(row, extensionLengths: extensionLengths) {
                employees.append(employee)
            }
        }
        found += Self.duplicates(in: document.rows)
        let refused = Set(found.map(\.row))
        employees.removeAll { refused.contains($0.row) }
    }

    /// Records `refusal(value)` for each value of `column` (extension, number or iccid) in
    /// ``employees``; a row may collect several (its extension in use and its number taken).
    package mutating func refuse(_ column: StaffCSVColumn, _ refusal: (String) -> (rule: String, detail: String)?) {
        for employee in employees {
            let values = Self.values(of: column, in: employee)
            for (index, value) in values.enumerated() {
                guard let (rule, detail) = refusal(value) else { continue }
                found.append(StaffCSVError(row: employee.row, column: column.rawValue, rule: rule, detail: StaffCSVRow.position(index, of: values.count) + detail))
            }
        }
    }

    /// Every value of `column` in ``employees``.
    package func values(of column: StaffCSVColumn) -> [String] {
        employees.flatMap { Self.values(of: column, in: $0) }
    }

    private static func values(of column: StaffCSVColumn, in employee: StaffImportEmployee) -> [String] {
        switch column {
        case .extension: [employee.extensionNumber]
        case .number: employee.numbers
        case .iccid: employee.iccids
        case .fullName, .email, .mobile: []
        }
    }

    /// An extension, number or ICCID a row repeats from an earlier row (or from earlier in its own
    /// cell): reported on the later row, naming the first.
    private static func duplicates(in rows: [StaffCSVRow]) -> [StaffCSVError] {
        var errors: [StaffCSVError] = []
        let columns: [(StaffCSVColumn, (StaffCSVRow) -> [String])] = [(.extension, { [$0.extensionNumber] }), (.number, \.numbers), (.iccid, \.iccids)]
        for (column, values) in columns {
            var firstRow: [String: Int] = [:]
            for row in rows {
                let cell = values(row)
                for (index, value) in cell.enumerated() where !value.isEmpty {
                    if let earlier = firstRow[value] {
                        let place = earlier == row.row ? "earlier in this cell" : "on row \(earlier)"
                        errors.append(StaffCSVError(row: row.row, column: column.rawValue, rule: "duplicate",
                                                    detail: StaffCSVRow.position(index, of: cell.count) + "is also \(place); each may appear once"))
                    } else {
                        firstRow[value] = row.row
                    }
                }
            }
        }
        return errors
    }
}
