import Foundation
import Logging
import PostgresNIO

/// Forwarded traffic-data parts of cases: written by the reseller (or manager), answered by the
/// platform, which reads numbers and periods only (its policy and column grants see to that).
package struct TrafficDataRequestRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// `from` and `to` are `yyyy-MM-dd` days, already validated.
    package func forward(id: UUID, resellerID: UUID, requestID: UUID, numbers: [String], from: String, to: String) async throws -> TrafficDataRequestRecord {
        try await one(
            """
            INSERT INTO sb.traffic_data_requests (reseller_id, id, request_id, numbers, period_from, period_to)
            VALUES (\(resellerID), \(id), \(requestID), \(numbers), \(from)::date, \(to)::date)
            RETURNING \(unescaped: TrafficDataRequestRecord.columns)
            """
        )!
    }

    /// The numbers `employeeID` holds or held (assignment history), in the caller's scope: the only
    /// numbers a case about that person may forward.
    package func numbersHeld(by employeeID: UUID) async throws -> Set<String> {
        Set(try await connection.query(
            "SELECT DISTINCT number FROM sb.number_assignments WHERE employee_id = \(employeeID)", logger: logger
        ).collect().map { try $0.decode(String.self) })
    }

    package func list(requestID: UUID) async throws -> [TrafficDataRequestRecord] {
        try await connection.query(
            "SELECT \(unescaped: TrafficDataRequestRecord.columns) FROM sb.traffic_data_requests WHERE request_id = \(requestID) ORDER BY created_at, id",
            logger: logger
        ).collect().map(TrafficDataRequestRecord.init(row:))
    }

    /// The platform's queue: unanswered first, oldest first.
    package func listForPlatform(answered: Bool?, after cursor: UUID?, limit: Int) async throws -> Page<TrafficDataRequestRecord, UUID> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: TrafficDataRequestRecord.columns) FROM sb.traffic_data_requests
            WHERE (\(answered)::boolean IS NULL OR (state = 'answered') = \(answered))
              AND (\(cursor)::uuid IS NULL OR id > \(cursor))
            ORDER BY id LIMIT \(limit + 1)
            """,
            logger: logger
        ).collect()
        return Page(fetched: try rows.map(TrafficDataRequestRecord.init(row:)), limit: limit) { $0.id }
    }

    package func get(_ id: UUID) async throws -> TrafficDataRequestRecord? {
        try await one("SELECT \(unescaped: TrafficDataRequestRecord.columns) FROM sb.traffic_data_requests WHERE id = \(id)")
    }

    /// Records the platform's answer once; nil when there is no such forwarded part or it was answered.
    package func answer(_ id: UUID, text: String, recordsHeld: Int64, by principalID: UUID, at now: Date) async throws -> TrafficDataRequestRecord? {
        try await one(
            """
            UPDATE sb.traffic_data_requests
            SET state = 'answered', answer = \(text), records_held = \(recordsHeld), answered_at = \(now), answered_by = \(principalID)
            WHERE id = \(id) AND state = 'forwarded'
            RETURNING \(unescaped: TrafficDataRequestRecord.columns)
            """
        )
    }

    private func one(_ query: PostgresQuery) async throws -> TrafficDataRequestRecord? {
        try await connection.query(query, logger: logger).collect().first.map(TrafficDataRequestRecord.init(row:))
    }
}
