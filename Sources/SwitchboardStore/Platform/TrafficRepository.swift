import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Reads of the platform's traffic data (sb_platform) and of the usage totals (reseller, customer).
public struct TrafficRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// One subscriber's records in a period, oldest first.
    public func records(servedNumber: String, from: Date, to: Date, after cursor: CDRCursor?, limit: Int) async throws -> (items: [StoredCDR], next: CDRCursor?) {
        let rows = try await connection.query(
            """
            SELECT batch_id, line, started_at, kind, direction, a_number, b_number, duration_seconds, bytes, host(ip), cell, country,
                   charge::text, reseller_id, customer_id
            FROM platform.cdrs
            WHERE served_number = \(servedNumber) AND started_at >= \(from) AND started_at < \(to)
              AND (\(cursor?.startedAt)::timestamptz IS NULL OR (started_at, batch_id, line) > (\(cursor?.startedAt), \(cursor?.batchID), \(cursor?.line)))
            ORDER BY started_at, batch_id, line
            LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var items: [StoredCDR] = []
        for try await row in rows.decode((UUID, Int, Date, String, String, String, String?, Int?, Int64?, String?, String?, String?, String, UUID?, UUID?).self) {
            items.append(StoredCDR(
                batchID: row.0, line: row.1, startedAt: row.2, kind: row.3, direction: row.4, aNumber: row.5, bNumber: row.6,
                durationSeconds: row.7, bytes: row.8, ip: row.9, cell: row.10, country: row.11, charge: row.12, resellerID: row.13, customerID: row.14
            ))
        }
        let page = Array(items.prefix(limit))
        let next = items.count > limit ? page.last.map { CDRCursor(startedAt: $0.startedAt, batchID: $0.batchID, line: $0.line) } : nil
        return (page, next)
    }

    /// Traffic per day and the chosen dimensions. A group with fewer distinct subscribers than
    /// `minimumSubscribers` is left out (and counted), so no figure describes a few people.
    public func traffic(from: Date, to: Date, by dimensions: [TrafficDimension], minimumSubscribers: Int) async throws -> (groups: [TrafficGroup], suppressed: Int) {
        // Dimensions come from a closed enum, never from the request's text.
        let chosen = TrafficDimension.allCases.map { dimension in dimensions.contains(dimension) ? dimension.column : "NULL" }
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                WITH groups AS (
                    SELECT to_char(date_trunc('day', started_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
                           \(chosen[0])::uuid AS reseller_id, \(chosen[1])::text AS country, \(chosen[2])::text AS kind,
                           count(DISTINCT served_number) AS subscribers, count(*) AS records,
                           coalesce(sum(duration_seconds) FILTER (WHERE kind = 'call'), 0)::bigint AS call_seconds,
                           count(*) FILTER (WHERE kind = 'sms') AS sms, coalesce(sum(bytes), 0)::bigint AS data_bytes
                    FROM platform.cdrs WHERE started_at >= $1 AND started_at < $2
                    GROUP BY 1, 2, 3, 4
                )
                SELECT day, reseller_id, country, kind, subscribers, records, call_seconds, sms, data_bytes, subscribers >= $3
                FROM groups ORDER BY day, reseller_id NULLS FIRST, country NULLS FIRST, kind NULLS FIRST
                """, binds: try Self.bindings(from, to, minimumSubscribers)),
            logger: logger
        )
        var groups: [TrafficGroup] = []
        var suppressed = 0
        for try await row in rows.decode((String, UUID?, String?, String?, Int, Int, Int64, Int, Int64, Bool).self) {
            guard row.9 else { suppressed += 1; continue }
            groups.append(TrafficGroup(day: row.0, resellerID: row.1, country: row.2, kind: row.3, subscribers: row.4, records: row.5,
                                       callSeconds: row.6, sms: row.7, dataBytes: row.8))
        }
        return (groups, suppressed)
    }

    private static func bindings(_ from: Date, _ to: Date, _ minimum: Int) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(from)
        bindings.append(to)
        bindings.append(minimum)
        return bindings
    }

    /// A month's totals per customer and number, as far as the caller's row-level security lets it see.
    public func usage(month: String) async throws -> [UsageLine] {
        let rows = try await connection.query(
            """
            SELECT customer_id, number, calls, call_seconds, billed_minutes, sms, data_bytes, charge::text
            FROM sb.usage_monthly WHERE month = \(month)::date ORDER BY customer_id, number
            """,
            logger: logger
        )
        var lines: [UsageLine] = []
        for try await row in rows.decode((UUID, String, Int64, Int64, Int64, Int64, Int64, String).self) {
            lines.append(UsageLine(customerID: row.0, number: row.1, calls: row.2, callSeconds: row.3, billedMinutes: row.4, sms: row.5, dataBytes: row.6, charge: row.7))
        }
        return lines
    }

    /// How many CDRs the platform holds for these served numbers between two days (inclusive,
    /// `yyyy-MM-dd`, UTC), attributed to `resellerID`: the platform's answer to a forwarded
    /// data-subject request (a number's earlier holders at other resellers are not counted).
    public func countRecords(servedNumbers: [String], fromDay: String, throughDay: String, resellerID: UUID) async throws -> Int64 {
        try await connection.query(
            """
            SELECT count(*) FROM platform.cdrs
            WHERE served_number = ANY (\(servedNumbers)) AND reseller_id = \(resellerID)
              AND started_at >= (\(fromDay)::date)::timestamp AT TIME ZONE 'UTC'
              AND started_at < ((\(throughDay)::date + 1)::timestamp AT TIME ZONE 'UTC')
            """,
            logger: logger
        ).collect().first?.decode(Int64.self) ?? 0
    }
}
