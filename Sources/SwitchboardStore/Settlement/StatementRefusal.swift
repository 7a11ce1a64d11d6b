import Foundation
import SwitchboardDomain

/// Why a statement or note was not issued; nothing was written.
package enum StatementRefusal: Error, Sendable, Equatable {
    /// The reseller's statement for the month exists already (one per reseller and month).
    case alreadyIssued(existing: UUID)
    /// The usage lines computed from the CDRs do not add up to the month's usage totals.
    case unreconciled(month: SettlementMonth, fromRecords: String, usageTotals: String)
    /// Notes correct a statement, never another note.
    case notAStatement(UUID)
    /// A note's line names a customer that is not the statement's reseller's (index of the line).
    case foreignCustomer(line: Int)
}
