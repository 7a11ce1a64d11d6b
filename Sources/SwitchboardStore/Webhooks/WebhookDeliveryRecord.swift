import Foundation
import PostgresNIO

/// One event's delivery to one endpoint: the delivery log a reseller reads.
package struct WebhookDeliveryRecord: Sendable, Equatable {
    package enum State: String, Sendable {
        case pending, delivered, failed
    }

    package let id: UUID
    package let subscriptionID: UUID
    package let eventID: UUID
    package let eventType: String
    package let body: String
    package let state: State
    package let attempts: Int
    package let nextAttemptAt: Date?
    package let lastAttemptAt: Date?
    package let lastStatus: Int?
    package let lastError: String?
    package let deliveredAt: Date?
    package let createdAt: Date

    static let columns = """
        id, subscription_id, event_id, event_type, body, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, created_at
        """

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        subscriptionID = try cells.next()
        eventID = try cells.next()
        eventType = try cells.next()
        body = try cells.next()
        state = State(rawValue: try cells.next(String.self))!
        attempts = Int(try cells.next(Int32.self))
        let next: Date = try cells.next()
        nextAttemptAt = state == .pending ? next : nil
        lastAttemptAt = try cells.next()
        lastStatus = try cells.next(Int32?.self).map(Int.init)
        lastError = try cells.next()
        deliveredAt = try cells.next()
        createdAt = try cells.next()
        try cells.finish()
    }
}
