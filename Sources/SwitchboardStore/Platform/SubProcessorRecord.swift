import Foundation
import PostgresNIO

/// One entry of the platform's sub-processor register.
package struct SubProcessorRecord: Sendable, Equatable {
    package let id: UUID
    package let name: String
    package let service: String
    package let location: String
    package let transferBasis: String
    /// `yyyy-MM-dd`
    package let engagedFrom: String
    package let announcedAt: Date
    package let engagedUntil: String?
    package let withdrawalAnnouncedAt: Date?

    static let columns = """
        id, name, service, location, transfer_basis, sb.iso_date(engaged_from), announced_at,
        sb.iso_date(engaged_until), withdrawal_announced_at
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        name = try cells.next()
        service = try cells.next()
        location = try cells.next()
        transferBasis = try cells.next()
        engagedFrom = try cells.next()
        announcedAt = try cells.next()
        engagedUntil = try cells.next()
        withdrawalAnnouncedAt = try cells.next()
        try cells.finish()
    }
}
