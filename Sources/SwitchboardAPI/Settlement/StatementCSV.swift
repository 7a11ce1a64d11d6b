internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// A statement as CSV (RFC 4180, CRLF): a header row, one `line` row per line, then the `net`,
/// `vat` and `gross` rows. Text cells go through the staff export's cell writer, which quotes and
/// neutralises cells a spreadsheet would run as a formula (``StaffCSVFormulaGuard``); numbers and
/// ids are written as they are (they cannot start a formula: amounts are never negative).
enum StatementCSV {
    static let columns = ["row", "statementId", "kind", "month", "lineNo", "customerId", "category", "quantity", "unit", "billedMinutes",
                          "amount", "currency", "description"]

    static func document(_ issued: IssuedStatement) -> String {
        let statement = issued.statement
        var rows = [columns.joined(separator: ",")]
        let head = [statement.id.apiString, statement.kind.rawValue, statement.month.description]
        for line in issued.lines {
            rows.append((["line"] + head + [String(line.lineNo), line.customerID?.apiString ?? "", line.category.rawValue, String(line.quantity),
                                             line.unit, line.billedMinutes.map(String.init) ?? "", line.amount, statement.currency,
                                             StaffCSVWriter.cell(line.description)]).joined(separator: ","))
        }
        for (name, amount, text) in [("net", statement.net, ""), ("vat", statement.vat, "VAT \(statement.vatRate)"), ("gross", statement.gross, "")] {
            rows.append(([name] + head + ["", "", "", "", "", "", amount, statement.currency, StaffCSVWriter.cell(text)]).joined(separator: ","))
        }
        return rows.joined(separator: "\r\n") + "\r\n"
    }
}
