import Foundation
import PostgresNIO
import SwitchboardDomain

/// A statement or note as issued. Amounts are exact decimal texts: `net`, `gross` and `usageNet`
/// with four places, `vat` with two (rounded to the øre), `vatRate` with four.
package struct StatementRecord: Sendable, Equatable {
    package let id: UUID
    package let resellerID: UUID
    package let kind: StatementKind
    package let month: SettlementMonth
    /// The statement a note corrects; nil for a statement.
    package let correctsStatementID: UUID?
    package let reason: String?
    package let currency: String
    package let net: String
    package let vatRate: String
    package let vat: String
    package let gross: String
    package let usageNet: String
    package let issuedAt: Date
    package let issuedBy: UUID

    static let columns = """
        id, reseller_id, kind, to_char(month, 'YYYY-MM'), corrects_statement_id, reason, currency, net::text, vat_rate::text, vat::text,
        gross::text, usage_net::text, issued_at, issued_by
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        resellerID = try cells.next()
        kind = StatementKind(rawValue: try cells.next(String.self))!
        month = SettlementMonth(try cells.next(String.self))!
        correctsStatementID = try cells.next()
        reason = try cells.next()
        currency = try cells.next()
        net = try cells.next()
        vatRate = try cells.next()
        vat = try cells.next()
        gross = try cells.next()
        usageNet = try cells.next()
        issuedAt = try cells.next()
        issuedBy = try cells.next()
        try cells.finish()
    }
}
