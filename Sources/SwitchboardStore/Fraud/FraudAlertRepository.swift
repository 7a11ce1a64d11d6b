import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Fraud alerts: raised by the ingest, handled by the platform, read by the owning reseller
/// (policies keep each reseller to its own numbers' alerts).
package struct FraudAlertRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Judges one ingested batch by every enabled rule; the number of alerts raised or escalated.
    package func evaluate(batch: UUID) async throws -> Int {
        let rows = try await connection.query("SELECT platform.evaluate_fraud(\(batch))", logger: logger)
        for try await count in rows.decode(Int32.self) { return Int(count) }
        return 0
    }

    package struct Filter: Sendable {
        package var state: FraudAlertRecord.State?
        package var resellerID: UUID?

        package init(state: FraudAlertRecord.State? = nil, resellerID: UUID? = nil) {
            self.state = state
            self.resellerID = resellerID
        }
    }

    /// Newest first. `platformView` reads the platform's columns (its role alone holds them).
    package func list(_ filter: Filter, platformView: Bool, before cursor: (Date, UUID)?, limit: Int) async throws -> Page<FraudAlertRecord, (Date, UUID)> {
        let columns = platformView ? FraudAlertRecord.platformColumns : FraudAlertRecord.resellerColumns
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM sb.fraud_alerts
            WHERE (\(filter.state?.rawValue)::text IS NULL OR state = \(filter.state?.rawValue))
              AND (\(filter.resellerID)::uuid IS NULL OR reseller_id = \(filter.resellerID))
              AND (\(cursor?.0)::timestamptz IS NULL OR (raised_at, id) < (\(cursor?.0), \(cursor?.1)))
            ORDER BY raised_at DESC, id DESC LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var alerts: [FraudAlertRecord] = []
        for try await row in rows { alerts.append(try FraudAlertRecord(row: row, platformView: platformView)) }
        return Page(fetched: alerts, limit: limit) { ($0.raisedAt, $0.id) }
    }

    package func get(_ id: UUID, platformView: Bool) async throws -> FraudAlertRecord? {
        let columns = platformView ? FraudAlertRecord.platformColumns : FraudAlertRecord.resellerColumns
        for try await row in try await connection.query("SELECT \(unescaped: columns) FROM sb.fraud_alerts WHERE id = \(id)", logger: logger) {
            return try FraudAlertRecord(row: row, platformView: platformView)
        }
        return nil
    }

    /// Open → acknowledged, by `person`; nil when the alert is unknown or not open.
    package func acknowledge(_ id: UUID, by person: UUID) async throws -> FraudAlertRecord? {
        try await first(connection.query(
            """
            UPDATE sb.fraud_alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = \(person), updated_at = now()
            WHERE id = \(id) AND state = 'open' RETURNING \(unescaped: FraudAlertRecord.platformColumns)
            """,
            logger: logger
        ))
    }

    /// Open or acknowledged → resolved, with the platform's note; nil when unknown or resolved already.
    package func resolve(_ id: UUID, by person: UUID, resolution: String) async throws -> FraudAlertRecord? {
        try await first(connection.query(
            """
            UPDATE sb.fraud_alerts SET state = 'resolved', resolved_at = now(), resolved_by = \(person), resolution = \(resolution), updated_at = now()
            WHERE id = \(id) AND state <> 'resolved' RETURNING \(unescaped: FraudAlertRecord.platformColumns)
            """,
            logger: logger
        ))
    }

    private func first(_ rows: PostgresRowSequence) async throws -> FraudAlertRecord? {
        for try await row in rows { return try FraudAlertRecord(row: row, platformView: true) }
        return nil
    }
}
