import Foundation
import Logging
import PostgresNIO

/// A reseller's webhook subscriptions and their delivery log, in the reseller's scope.
package struct WebhookRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package func create(id: UUID, resellerID: UUID, url: String, eventTypes: [String]) async throws -> WebhookSubscriptionRecord {
        try await connection.query(
            """
            INSERT INTO sb.webhook_subscriptions (reseller_id, id, url, event_types) VALUES (\(resellerID), \(id), \(url), \(eventTypes))
            RETURNING \(unescaped: WebhookSubscriptionRecord.columns)
            """,
            logger: logger
        ).collect().map(WebhookSubscriptionRecord.init(row:))[0]
    }

    package func list() async throws -> [WebhookSubscriptionRecord] {
        try await connection.query(
            "SELECT \(unescaped: WebhookSubscriptionRecord.columns) FROM sb.webhook_subscriptions ORDER BY created_at, id", logger: logger
        ).collect().map(WebhookSubscriptionRecord.init(row:))
    }

    package func get(_ id: UUID) async throws -> WebhookSubscriptionRecord? {
        try await connection.query(
            "SELECT \(unescaped: WebhookSubscriptionRecord.columns) FROM sb.webhook_subscriptions WHERE id = \(id)", logger: logger
        ).collect().first.map(WebhookSubscriptionRecord.init(row:))
    }

    /// Deletes the subscription and its delivery log; false when there was none.
    package func delete(_ id: UUID) async throws -> Bool {
        try await connection.query("DELETE FROM sb.webhook_subscriptions WHERE id = \(id) RETURNING id", logger: logger).collect().count == 1
    }

    /// The subscription's deliveries, newest first.
    package func deliveries(of subscriptionID: UUID, before cursor: (Date, UUID)?, limit: Int) async throws -> Page<WebhookDeliveryRecord, (Date, UUID)> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: WebhookDeliveryRecord.columns) FROM sb.webhook_deliveries
            WHERE subscription_id = \(subscriptionID)
              AND (\(cursor?.0)::timestamptz IS NULL OR (created_at, id) < (\(cursor?.0), \(cursor?.1)))
            ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)
            """,
            logger: logger
        ).collect()
        return Page(fetched: try rows.map(WebhookDeliveryRecord.init(row:)), limit: limit) { ($0.createdAt, $0.id) }
    }

    /// Puts a delivery back in the queue for the next tick (any state: a delivered event can be
    /// sent again on request); nil when the subscription has no such delivery.
    package func redeliver(_ deliveryID: UUID, of subscriptionID: UUID, at now: Date) async throws -> WebhookDeliveryRecord? {
        try await connection.query(
            """
            UPDATE sb.webhook_deliveries SET state = 'pending', next_attempt_at = \(now)
            WHERE id = \(deliveryID) AND subscription_id = \(subscriptionID)
            RETURNING \(unescaped: WebhookDeliveryRecord.columns)
            """,
            logger: logger
        ).collect().first.map(WebhookDeliveryRecord.init(row:))
    }
}
