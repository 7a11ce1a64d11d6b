import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The delivery job's side of the outbox (as `sb_retention`, through owner-rights functions):
/// take due deliveries with a lease, record each attempt, announce cases coming due, and expire
/// the delivery log.
package struct WebhookDeliveryQueue: Sendable {
    static let lockName = "switchboard.webhook-delivery"

    let database: ScopedDatabase

    package init(database: ScopedDatabase) {
        self.database = database
    }

    /// A delivery taken for one attempt; `attempt` counts this one.
    package struct Claimed: Sendable, Equatable {
        package let resellerID: UUID
        package let id: UUID
        package let subscriptionID: UUID
        package let url: String
        package let eventType: String
        package let body: String
        package let attempt: Int
    }

    /// Runs `body` if this process holds the delivery lock (one sender across replicas); nil otherwise.
    package func whileLeading<T: Sendable>(logger: Logger, _ body: () async throws -> T) async throws -> T? {
        try await database.whileHolding(lock: Self.lockName, logger: logger, body)
    }

    /// Takes up to `limit` due deliveries; each is leased for `lease` (retried after it if this
    /// process dies mid-send).
    package func claim(clock: Date, lease: Duration, limit: Int, logger: Logger) async throws -> [Claimed] {
        try await database.transaction(.retention, logger: logger) { connection in
            try await connection.query(
                """
                SELECT reseller_id, id, subscription_id, url, event_type, body, attempt
                FROM sb.claim_webhook_deliveries(\(clock), make_interval(secs => \(Double(lease.components.seconds))), \(Int32(limit)))
                """,
                logger: logger
            ).collect().map { row in
                let (reseller, id, subscription, url, type, body, attempt) = try row.decode((UUID, UUID, UUID, String, String, String, Int32).self)
                return Claimed(resellerID: reseller, id: id, subscriptionID: subscription, url: url, eventType: type, body: body, attempt: Int(attempt))
            }
        }
    }

    /// Records an attempt: delivered, or to be retried at `retryAt`, or failed for good (`retryAt` nil).
    package func record(_ claimed: Claimed, clock: Date, delivered: Bool, status: Int?, failure: String?, retryAt: Date?, logger: Logger) async throws {
        try await database.transaction(.retention, logger: logger) { connection in
            try await connection.query(
                """
                SELECT sb.record_webhook_attempt(\(claimed.resellerID), \(claimed.id), \(clock), \(delivered), \(status.map(Int32.init)),
                                                 \(failure), \(retryAt))
                """,
                logger: logger
            )
        }
    }

    /// Announces once each open case due within the due-soon window; returns how many.
    package func announceDueRequests(clock: Date, logger: Logger) async throws -> Int {
        try await database.transaction(.retention, logger: logger) { connection in
            Int(try await connection.query(
                "SELECT sb.announce_due_requests(\(clock), make_interval(days => \(Int32(DataSubjectRequestDeadline.dueSoonDays))))",
                logger: logger
            ).collect().first?.decode(Int32.self) ?? 0)
        }
    }

    /// Deletes delivered and failed deliveries whose last attempt is older than `keepDays`.
    package func expireDeliveries(clock: Date, keepDays: Int, logger: Logger) async throws -> Int {
        try await database.transaction(.retention, logger: logger) { connection in
            Int(try await connection.query(
                "SELECT sb.retention_webhook_deliveries(\(clock), make_interval(days => \(Int32(keepDays))))", logger: logger
            ).collect().first?.decode(Int64.self) ?? 0)
        }
    }
}
