import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// One stored call detail record, as platform staff see it.
public struct StoredCDR: Sendable {
    public var batchID: UUID
    public var line: Int
    public var startedAt: Date
    public var kind: String
    public var direction: String
    public var aNumber: String
    public var bNumber: String?
    public var durationSeconds: Int?
    public var bytes: Int64?
    public var ip: String?
    public var cell: String?
    public var country: String?
    public var charge: String
    public var resellerID: UUID?
    public var customerID: UUID?
}

/// Where a CDR listing continues: the last record's start time, batch and line.
public struct CDRCursor: Sendable, Equatable {
    public var startedAt: Date
    public var batchID: UUID
    public var line: Int

    public init(startedAt: Date, batchID: UUID, line: Int) {
        self.startedAt = startedAt
        self.batchID = batchID
        self.line = line
    }

    /// `<microseconds since 1970>.<batch id>.<line>`: opaque to clients, exact for the database.
    public var token: String {
        "\(Int64((startedAt.timeIntervalSince1970 * 1_000_000).rounded())).\(batchID.uuidString.lowercased()).\(line)"
    }

    public init?(token: String) {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let micros = Int64(parts[0]), let batch = UUID(uuidString: String(parts[1])), let line = Int(parts[2]) else { return nil }
        self.init(startedAt: Date(timeIntervalSince1970: Double(micros) / 1_000_000), batchID: batch, line: line)
    }
}

/// A group of the traffic analytics: a day and the chosen dimensions.
public struct TrafficGroup: Sendable {
    public var day: String
    public var resellerID: UUID?
    public var country: String?
    public var kind: String?
    public var subscribers: Int
    public var records: Int
    public var callSeconds: Int64
    public var sms: Int
    public var dataBytes: Int64
}

public enum TrafficDimension: String, Sendable, CaseIterable {
    case reseller, country, kind

    var column: String {
        switch self {
        case .reseller: "reseller_id"
        case .country: "country"
        case .kind: "kind"
        }
    }
}

/// A month's usage of one number, as resellers and managers see it.
public struct UsageLine: Sendable {
    public var customerID: UUID
    public var number: String
    public var calls: Int64
    public var callSeconds: Int64
    public var billedMinutes: Int64
    public var sms: Int64
    public var dataBytes: Int64
    /// Decimal text with four places, exact.
    public var charge: String
}

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
}

/// What one retention run did (or, dry, would do).
public struct RetentionRun: Sendable {
    public var id: Int64
    public var clock: Date
    public var dryRun: Bool
    public var createdPartitions: [String]
    public var droppedPartitions: [String]
    public var droppedRowsEstimate: Int64
    public var purgedBatches: Int
    public var purgedUsageRows: Int
    /// The run's own transaction: partitions created, expired months detached (holding each parent's lock), purges.
    public var elapsed: Duration
    /// The second transaction, dropping the detached months: the filesystem freeing their space.
    public var dropElapsed: Duration
}

/// Runs platform.run_retention as sb_retention. Several replicas may call it at once: the
/// function takes a transaction-scoped advisory lock, and a run that cannot get it does nothing.
public struct RetentionRunner: Sendable {
    public enum Trigger: String, Sendable { case job, command }

    let database: ScopedDatabase

    public init(database: ScopedDatabase) {
        self.database = database
    }

    /// Nil when another run holds the lock.
    public func run(clock: Date, dryRun: Bool, trigger: Trigger, logger: Logger) async throws -> RetentionRun? {
        let started = ContinuousClock.now
        let row = try await database.transaction(.retention, logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, clock, dry_run, created_partitions, dropped_partitions, dropped_rows_estimate, purged_batches, purged_usage_rows
                FROM platform.run_retention(\(clock), \(dryRun), \(trigger.rawValue))
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, Date, Bool, [String], [String], Int64, Int, Int).self) { return Optional(row) }
            return nil
        }
        let detached = ContinuousClock.now
        if !dryRun, row != nil {
            try await database.transaction(.retention, logger: logger) { connection in
                try await connection.query("SELECT platform.drop_detached_partitions()", logger: logger)
            }
        }
        guard let row else { return nil }
        return RetentionRun(id: row.0, clock: row.1, dryRun: row.2, createdPartitions: row.3, droppedPartitions: row.4,
                            droppedRowsEstimate: row.5, purgedBatches: row.6, purgedUsageRows: row.7,
                            elapsed: detached - started, dropElapsed: ContinuousClock.now - detached)
    }
}
