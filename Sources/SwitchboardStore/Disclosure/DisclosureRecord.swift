import Foundation
import PostgresNIO

/// An authority's request for retained traffic data and the record of its review and export.
package struct DisclosureRecord: Sendable, Equatable {
    package enum State: String, Sendable { case pending, approved, refused, exported }

    package let id: UUID
    package let authority: String
    package let country: String
    package let caseReference: String
    package let legalBasis: String
    package let numbers: [String]
    package let iccids: [String]
    package let ipAddresses: [String]
    package let periodStart: Date
    package let periodEnd: Date
    package let recordedBy: UUID
    package let recordedAt: Date
    package let state: State
    package let reviewedBy: UUID?
    package let reviewedAt: Date?
    package let reviewReason: String?
    package let downloadUntil: Date?
    package let exportedAt: Date?
    package let exportedBy: UUID?
    package let exportRecords: Int?
    package let exportSHA256: String?

    static let columns = """
        id, authority, country, case_reference, legal_basis, numbers, iccids, platform.address_hosts(ips), period_start, period_end,
        recorded_by, recorded_at, state, reviewed_by, reviewed_at, review_reason, download_until, exported_at, exported_by, export_records, export_sha256
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        authority = try cells.next()
        country = try cells.next()
        caseReference = try cells.next()
        legalBasis = try cells.next()
        numbers = try cells.next()
        iccids = try cells.next()
        ipAddresses = try cells.next()
        periodStart = try cells.next()
        periodEnd = try cells.next()
        recordedBy = try cells.next()
        recordedAt = try cells.next()
        state = State(rawValue: try cells.next()) ?? .pending
        reviewedBy = try cells.next()
        reviewedAt = try cells.next()
        reviewReason = try cells.next()
        downloadUntil = try cells.next()
        exportedAt = try cells.next()
        exportedBy = try cells.next()
        exportRecords = try cells.next(Int32?.self).map(Int.init)
        exportSHA256 = try cells.next()
    }
}
