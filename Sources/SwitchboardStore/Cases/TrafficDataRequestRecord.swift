import Foundation
import PostgresNIO

/// The traffic-data part of a case, as forwarded to the platform: numbers and a period, no name.
package struct TrafficDataRequestRecord: Sendable, Equatable {
    package let id: UUID
    package let resellerID: UUID
    package let requestID: UUID
    package let numbers: [String]
    /// First and last day of the period (inclusive), as `yyyy-MM-dd`.
    package let periodFrom: String
    package let periodTo: String
    package let answered: Bool
    package let answer: String?
    package let recordsHeld: Int64?
    package let answeredAt: Date?
    package let createdAt: Date

    static let columns = """
        id, reseller_id, request_id, numbers, sb.iso_date(period_from), sb.iso_date(period_to),
        state = 'answered', answer, records_held, answered_at, created_at
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        resellerID = try cells.next()
        requestID = try cells.next()
        numbers = try cells.next()
        periodFrom = try cells.next()
        periodTo = try cells.next()
        answered = try cells.next()
        answer = try cells.next()
        recordsHeld = try cells.next()
        answeredAt = try cells.next()
        createdAt = try cells.next()
        try cells.finish()
    }
}
