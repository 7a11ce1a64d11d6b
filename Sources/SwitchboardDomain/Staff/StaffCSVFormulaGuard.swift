/// CSV injection (OWASP): a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or
/// carriage return as a formula (`=cmd|' /C calc'!A0`). The export prefixes such a cell with a
/// single quote, which makes it text; the import removes that quote again, so a file round-trips.
///
/// Both directions look past leading quotes, so the pair is exact for every value: `=x` is written
/// `'=x`, and a value that really is `'=x` is written `''=x`; reading drops exactly one quote.
/// One or more E.164 numbers (`+4570100000 +4570100001`) cannot carry a formula and stay as they are.
package enum StaffCSVFormulaGuard {
    /// `value` as the export writes it.
    package static func neutralised(_ value: String) -> String {
        guard startsWithTrigger(afterQuotes: value), !isE164List(value) else { return value }
        return "'" + value
    }

    /// An imported cell with the export's neutralising quote removed.
    package static func restored(_ cell: String) -> String {
        guard cell.unicodeScalars.first == "'", startsWithTrigger(afterQuotes: cell) else { return cell }
        return String(cell.unicodeScalars.dropFirst())
    }

    private static func startsWithTrigger(afterQuotes value: String) -> Bool {
        switch value.unicodeScalars.first(where: { $0 != "'" }) {
        case "=", "+", "-", "@", "\t", "\r": true
        default: false
        }
    }

    /// `^\+[0-9]{7,15}( \+[0-9]{7,15})*$`, without a Regex (this runs for every exported cell).
    package static func isE164List(_ value: String) -> Bool {
        let numbers = value.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        return numbers.allSatisfy { number in
            number.first == UInt8(ascii: "+") && (8...16).contains(number.count)
                && number.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
    }
}
