import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Scheduled anonymisations as the reseller and the company's manager see them (the policies
/// scope every statement). One per employee; changes happen under the employee's row lock.
public struct ScheduledAnonymisationRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func get(_ employeeID: UUID) async throws -> ScheduledAnonymisationRecord? {
        let rows = try await connection.query(
            "SELECT employee_id, to_char(due_on, 'YYYY-MM-DD'), scheduled_at FROM sb.scheduled_anonymisations WHERE employee_id = \(employeeID)",
            logger: logger
        )
        for try await (id, dueOn, at) in rows.decode((UUID, String, Date).self) {
            return ScheduledAnonymisationRecord(employeeID: id, dueOn: dueOn, scheduledAt: at)
        }
        return nil
    }

    /// `dueOn` is `YYYY-MM-DD`; the caller has checked nothing is scheduled yet.
    public func schedule(_ employeeID: UUID, locked: EmployeeLock, dueOn: String, by principal: Principal) async throws -> ScheduledAnonymisationRecord {
        try await connection.query(
            """
            INSERT INTO sb.scheduled_anonymisations (reseller_id, customer_id, employee_id, due_on, scheduled_by, scheduled_by_role)
            VALUES (\(locked.resellerID), \(locked.customerID), \(employeeID), \(dueOn)::date, \(principal.id), \(principal.role.databaseRole))
            """,
            logger: logger
        )
        return try await get(employeeID)!
    }

    /// False when nothing was scheduled.
    public func cancel(_ employeeID: UUID) async throws -> Bool {
        try await connection.query(
            "DELETE FROM sb.scheduled_anonymisations WHERE employee_id = \(employeeID) RETURNING employee_id", logger: logger
        ).collect().isEmpty == false
    }
}
