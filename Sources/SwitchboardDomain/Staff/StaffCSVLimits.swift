/// How much one staff CSV import may hold (issue 13), defined once for the request's byte limit
/// (`RequestBoundaryMiddleware`), the streaming reader and the contract's description.
package enum StaffCSVLimits {
    /// Employee rows per import. A company larger than this imports in several files.
    package static let maxRows = 10_000
    /// Bytes per import body: 10,000 rows of about 200 bytes each.
    package static let maxBytes = 2 << 20
    /// Errors an answer lists; the `detail` gives the total. A 2 MiB cell of one-character
    /// numbers would otherwise make an answer of tens of megabytes.
    package static let maxReportedErrors = 10_000
}
