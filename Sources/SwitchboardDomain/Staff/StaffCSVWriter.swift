/// The staff export (`GET …/employees/export.csv`): a header line, then one line per employee,
/// every column of ``StaffCSVColumn`` in its order, CRLF line ends (RFC 4180). What it writes,
/// ``StaffCSVReader`` reads back to the same values.
package enum StaffCSVWriter {
    package static let header: String = StaffCSVColumn.allCases.map(\.rawValue).joined(separator: ",") + "\r\n"

    /// One employee's line; several numbers or ICCIDs share a cell, separated by spaces.
    package static func line(
        fullName: String, extensionNumber: String, email: String?, mobile: String?, numbers: [String], iccids: [String]
    ) -> String {
        [fullName, extensionNumber, email ?? "", mobile ?? "", numbers.joined(separator: " "), iccids.joined(separator: " ")]
            .map(cell)
            .joined(separator: ",") + "\r\n"
    }

    /// A value as a cell: neutralised against formulas (``StaffCSVFormulaGuard``), then quoted,
    /// with its quotes doubled, when it holds a comma, quote or line break or starts or ends with a
    /// space or tab (which spreadsheets would otherwise trim).
    package static func cell(_ value: String) -> String {
        let value = StaffCSVFormulaGuard.neutralised(value)
        let scalars = value.unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar?) -> Bool { scalar == " " || scalar == "\t" }
        let needsQuotes = scalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            || isSpace(scalars.first) || isSpace(scalars.last)
        guard needsQuotes else { return value }
        // Per scalar, not per Character: a quote followed by a combining mark is one Character.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in scalars {
            quoted.append(scalar)
            if scalar == "\"" { quoted.append("\"") }
        }
        quoted.append("\"")
        return String(quoted)
    }
}
