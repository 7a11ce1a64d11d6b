/// Thrown by ``StaffCSVReader`` the moment a body passes the import's row or byte limit, so the
/// server can stop reading it (413) instead of buffering the rest.
package struct StaffCSVLimitExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Limit: String, Sendable, Codable {
        /// Data rows (the header and blank lines do not count).
        case rows
        /// Bytes of the body, a byte-order mark included.
        case bytes
    }

    package let limit: Limit
    package let maximum: Int

    package init(limit: Limit, maximum: Int) {
        self.limit = limit
        self.maximum = maximum
    }

    package var description: String {
        switch limit {
        case .rows: "The CSV has more than \(maximum) employee rows; import at most \(maximum) at a time."
        case .bytes: "The CSV is larger than \(maximum) bytes; split it into smaller files."
        }
    }
}
