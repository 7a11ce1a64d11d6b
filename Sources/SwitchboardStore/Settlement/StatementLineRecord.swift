import Foundation
import PostgresNIO
import SwitchboardDomain

/// One line of a statement or note, as issued.
package struct StatementLineRecord: Sendable, Equatable {
    package let lineNo: Int
    /// Nil for a line about the reseller as a whole.
    package let customerID: UUID?
    package let category: StatementCategory
    package let quantity: Int64
    /// Calls only: every started minute of each call.
    package let billedMinutes: Int64?
    /// Exact decimal text with four places.
    package let amount: String
    package let description: String

    static let columns = "line_no, customer_id, category, quantity, billed_minutes, amount::text, description"

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        lineNo = Int(try cells.next(Int32.self))
        customerID = try cells.next()
        category = StatementCategory(rawValue: try cells.next(String.self))!
        quantity = try cells.next()
        billedMinutes = try cells.next()
        amount = try cells.next()
        description = try cells.next()
        try cells.finish()
    }

    package var unit: String { category.unit }
}
