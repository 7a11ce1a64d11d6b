import Foundation
import PostgresNIO
import SwitchboardDomain

/// One data-subject request as stored: who it concerns (the matched employee id only), the
/// right, its deadline and extension, and what answered it.
package struct DataSubjectRequestRecord: Sendable, Equatable {
    package let id: UUID
    package let resellerID: UUID
    package let customerID: UUID
    /// Nil once the person's record was deleted.
    package let employeeID: UUID?
    package let right: DataSubjectRight
    package let state: DataSubjectRequestState
    package let receivedAt: Date
    package let dueAt: Date
    package let initialDueAt: Date
    package let extensionMonths: Int?
    package let extensionReason: String?
    package let extendedAt: Date?
    package let note: String?
    package let outcome: DataSubjectRequestOutcome?
    package let outcomeFields: [String]
    package let outcomeDigest: String?
    package let receiptID: UUID?
    package let closingReason: String?
    package let closedAt: Date?
    package let openedBy: UUID
    package let createdAt: Date
    package let updatedAt: Date

    static let columns = """
        id, reseller_id, customer_id, employee_id, data_right, state, received_at, due_at, initial_due_at, extension_months, extension_reason,
        extended_at, note, outcome_kind, outcome_fields, outcome_digest, receipt_id, closing_reason, closed_at, opened_by, created_at, updated_at
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        resellerID = try cells.next()
        customerID = try cells.next()
        employeeID = try cells.next()
        right = DataSubjectRight(rawValue: try cells.next(String.self))!
        state = DataSubjectRequestState(rawValue: try cells.next(String.self))!
        receivedAt = try cells.next()
        dueAt = try cells.next()
        initialDueAt = try cells.next()
        extensionMonths = try cells.next(Int32?.self).map(Int.init)
        extensionReason = try cells.next()
        extendedAt = try cells.next()
        note = try cells.next()
        outcome = try cells.next(String?.self).flatMap(DataSubjectRequestOutcome.init(rawValue:))
        outcomeFields = try cells.next()
        outcomeDigest = try cells.next()
        receiptID = try cells.next()
        closingReason = try cells.next()
        closedAt = try cells.next()
        openedBy = try cells.next()
        createdAt = try cells.next()
        updatedAt = try cells.next()
        try cells.finish()
    }

    /// Open and past its deadline at `now`.
    package func isOverdue(at now: Date) -> Bool { !state.isClosed && dueAt <= now }
}
