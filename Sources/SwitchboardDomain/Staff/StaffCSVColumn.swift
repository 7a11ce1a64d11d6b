/// A column of the staff CSV (issue 13). The raw value is the header name, matched
/// case-sensitively after trimming spaces and tabs; the case order is the order the export writes.
package enum StaffCSVColumn: String, CaseIterable, Sendable, Codable {
    case fullName
    case `extension`
    case email
    case mobile
    /// Zero or more E.164 numbers, separated by spaces.
    case number
    /// Zero or more SIM ICCIDs, separated by spaces.
    case iccid

    /// Whether an import's header must name this column.
    package var isRequired: Bool {
        self == .fullName || self == .extension
    }
}
