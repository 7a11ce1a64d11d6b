import Foundation
import PostgresNIO

/// A reseller's webhook endpoint (its secret lives in the key store, never here).
package struct WebhookSubscriptionRecord: Sendable, Equatable {
    package let id: UUID
    package let resellerID: UUID
    package let url: String
    /// Empty: every event type.
    package let eventTypes: [String]
    package let createdAt: Date

    static let columns = "id, reseller_id, url, event_types, created_at"

    init(row: PostgresRow) throws {
        (id, resellerID, url, eventTypes, createdAt) = try row.decode((UUID, UUID, String, [String], Date).self)
    }
}
