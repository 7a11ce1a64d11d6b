import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Data-subject request cases, in the caller's scope (a reseller's, or a manager's company).
/// Every statement about cases or people names the tenant through `sb.statement_tenant` (one shard
/// group on Citus, migration 0039); the policies narrow it to the caller's scope.
package struct DataSubjectRequestRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// The caller's reseller; nil for the platform, which sees only ``countsByReseller(now:)``
    /// (a nil tenant matches no case).
    let tenant: UUID?

    package init(_ connection: PostgresConnection, logger: Logger, tenant: UUID?) {
        self.connection = connection
        self.logger = logger
        self.tenant = tenant
    }

    /// Employees of the customer with this extension whose name equals `fullName` ignoring case
    /// and runs of white space; at most two (enough to tell "one" from "more than one").
    package func matchingEmployees(customerID: UUID, extensionNumber: String, fullName: String) async throws -> [UUID] {
        try await connection.query(
            """
            SELECT id FROM sb.employees
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND customer_id = \(customerID) AND extension = \(extensionNumber) AND anonymised_at IS NULL
              AND lower(regexp_replace(btrim(full_name), '\\s+', ' ', 'g')) = lower(regexp_replace(btrim(\(fullName)), '\\s+', ' ', 'g'))
            ORDER BY id LIMIT 2
            """,
            logger: logger
        ).collect().map { try $0.decode(UUID.self) }
    }

    package struct NewRequest: Sendable {
        package var id: UUID
        package var resellerID: UUID
        package var customerID: UUID
        package var employeeID: UUID
        package var right: DataSubjectRight
        package var receivedAt: Date
        package var note: String?
        package var openedBy: UUID

        package init(id: UUID, resellerID: UUID, customerID: UUID, employeeID: UUID, right: DataSubjectRight, receivedAt: Date, note: String?, openedBy: UUID) {
            self.id = id
            self.resellerID = resellerID
            self.customerID = customerID
            self.employeeID = employeeID
            self.right = right
            self.receivedAt = receivedAt
            self.note = note
            self.openedBy = openedBy
        }
    }

    package func open(_ request: NewRequest) async throws -> DataSubjectRequestRecord {
        let due = DataSubjectRequestDeadline.dueAt(receivedAt: request.receivedAt)
        let rows = try await connection.query(
            """
            INSERT INTO sb.data_subject_requests (reseller_id, customer_id, id, employee_id, data_right, received_at, due_at, initial_due_at, note, opened_by)
            VALUES (\(request.resellerID), \(request.customerID), \(request.id), \(request.employeeID), \(request.right.rawValue),
                    \(request.receivedAt), \(due), \(due), \(request.note), \(request.openedBy))
            RETURNING \(unescaped: DataSubjectRequestRecord.columns)
            """,
            logger: logger
        ).collect()
        return try DataSubjectRequestRecord(row: rows[0])
    }

    package func get(_ id: UUID) async throws -> DataSubjectRequestRecord? {
        try await one("SELECT \(unescaped: DataSubjectRequestRecord.columns) FROM sb.data_subject_requests WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)")
    }

    /// The case, locked for a change until the transaction ends.
    package func lock(_ id: UUID) async throws -> DataSubjectRequestRecord? {
        try await one("SELECT \(unescaped: DataSubjectRequestRecord.columns) FROM sb.data_subject_requests WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id) FOR UPDATE")
    }

    package func extend(_ id: UUID, months: Int, reason: String, dueAt: Date, at now: Date) async throws -> DataSubjectRequestRecord {
        try await one(
            """
            UPDATE sb.data_subject_requests
            SET extension_months = \(Int32(months)), extension_reason = \(reason), extended_at = \(now), due_at = \(dueAt),
                due_soon_announced_at = NULL, updated_at = \(now)
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)
            RETURNING \(unescaped: DataSubjectRequestRecord.columns)
            """
        )!
    }

    /// What closes or advances a case.
    package struct Transition: Sendable {
        package var state: DataSubjectRequestState
        package var reason: String?
        package var outcome: DataSubjectRequestOutcome?
        package var outcomeFields: [String]
        package var outcomeDigest: String?
        package var receiptID: UUID?

        package init(state: DataSubjectRequestState, reason: String? = nil, outcome: DataSubjectRequestOutcome? = nil,
                    outcomeFields: [String] = [], outcomeDigest: String? = nil, receiptID: UUID? = nil) {
            self.state = state
            self.reason = reason
            self.outcome = outcome
            self.outcomeFields = outcomeFields
            self.outcomeDigest = outcomeDigest
            self.receiptID = receiptID
        }
    }

    package func move(_ id: UUID, _ transition: Transition, at now: Date) async throws -> DataSubjectRequestRecord {
        let closedAt: Date? = transition.state.isClosed ? now : nil
        return try await one(
            """
            UPDATE sb.data_subject_requests
            SET state = \(transition.state.rawValue), closing_reason = coalesce(\(transition.reason), closing_reason),
                outcome_kind = \(transition.outcome?.rawValue), outcome_fields = \(transition.outcomeFields), outcome_digest = \(transition.outcomeDigest),
                receipt_id = \(transition.receiptID), closed_at = \(closedAt), updated_at = \(now)
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)
            RETURNING \(unescaped: DataSubjectRequestRecord.columns)
            """
        )!
    }

    package enum DueFilter: String, Sendable {
        case overdue
        case dueSoon = "due-soon"
    }

    /// Cases by deadline (earliest first), open ones only unless `includeClosed`; the cursor is
    /// the last row's (deadline, id).
    package func list(customerID: UUID?, includeClosed: Bool, due: DueFilter?, now: Date, after cursor: (Date, UUID)?, limit: Int) async throws
        -> Page<DataSubjectRequestRecord, (Date, UUID)>
    {
        let soon = now.addingTimeInterval(TimeInterval(DataSubjectRequestDeadline.dueSoonDays * 86_400))
        let rows = try await connection.query(
            """
            SELECT \(unescaped: DataSubjectRequestRecord.columns) FROM sb.data_subject_requests
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND (\(customerID)::uuid IS NULL OR customer_id = \(customerID))
              AND (\(includeClosed) OR closed_at IS NULL)
              AND (\(due?.rawValue)::text IS NULL
                   OR (\(due?.rawValue) = 'overdue' AND closed_at IS NULL AND due_at <= \(now))
                   OR (\(due?.rawValue) = 'due-soon' AND closed_at IS NULL AND due_at > \(now) AND due_at <= \(soon)))
              AND (\(cursor?.0)::timestamptz IS NULL OR (due_at, id) > (\(cursor?.0), \(cursor?.1)))
            ORDER BY due_at, id
            LIMIT \(limit + 1)
            """,
            logger: logger
        ).collect()
        return Page(fetched: try rows.map(DataSubjectRequestRecord.init(row:)), limit: limit) { ($0.dueAt, $0.id) }
    }

    /// Open cases per customer of the caller's scope: open, overdue and due within the due-soon window.
    package func countsByCustomer(now: Date) async throws -> [DataSubjectRequestCounts] {
        let soon = now.addingTimeInterval(TimeInterval(DataSubjectRequestDeadline.dueSoonDays * 86_400))
        return try await connection.query(
            """
            SELECT customer_id, count(*), count(*) FILTER (WHERE due_at <= \(now)), count(*) FILTER (WHERE due_at > \(now) AND due_at <= \(soon))
            FROM sb.data_subject_requests WHERE reseller_id = sb.statement_tenant(\(tenant)) AND closed_at IS NULL GROUP BY customer_id ORDER BY customer_id
            """,
            logger: logger
        ).collect().map { row in
            let (owner, open, overdue, dueSoon) = try row.decode((UUID, Int64, Int64, Int64).self)
            return DataSubjectRequestCounts(ownerID: owner, open: Int(open), overdue: Int(overdue), dueSoon: Int(dueSoon))
        }
    }

    /// The platform's view: the same counts per reseller, and nothing else of any case.
    package func countsByReseller(now: Date) async throws -> [DataSubjectRequestCounts] {
        try await connection.query(
            "SELECT reseller_id, open, overdue, due_soon FROM sb.data_subject_request_counts(\(now), make_interval(days => \(Int32(DataSubjectRequestDeadline.dueSoonDays))))",
            logger: logger
        ).collect().map { row in
            let (owner, open, overdue, dueSoon) = try row.decode((UUID, Int64, Int64, Int64).self)
            return DataSubjectRequestCounts(ownerID: owner, open: Int(open), overdue: Int(overdue), dueSoon: Int(dueSoon))
        }
    }

    private func one(_ query: PostgresQuery) async throws -> DataSubjectRequestRecord? {
        try await connection.query(query, logger: logger).collect().first.map(DataSubjectRequestRecord.init(row:))
    }
}
