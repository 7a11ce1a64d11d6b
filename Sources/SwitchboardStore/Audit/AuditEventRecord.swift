import Foundation
import PostgresNIO

/// One audit entry as a tenant reads it: ids and field names, never values; no hashes.
package struct AuditEventRecord: Sendable, Equatable {
    package let chain: String
    package let seq: Int64
    package let occurredAt: Date
    package let principalID: UUID
    package let principalKind: String
    package let role: String
    package let resellerID: UUID?
    package let customerID: UUID?
    package let action: String
    package let targetID: UUID?
    package let fields: [String]

    static let columns = "chain, seq, occurred_at, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields"

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        chain = try cells.next()
        seq = try cells.next()
        occurredAt = try cells.next()
        principalID = try cells.next()
        principalKind = try cells.next()
        role = try cells.next()
        resellerID = try cells.next()
        customerID = try cells.next()
        action = try cells.next()
        targetID = try cells.next()
        fields = try cells.next()
        try cells.finish()
    }
}
