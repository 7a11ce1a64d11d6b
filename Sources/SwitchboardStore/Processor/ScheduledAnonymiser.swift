import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Carries out the anonymisations due at a clock: finds them as the retention job
/// (`sb.due_anonymisations`, which answers tenant ids only), then anonymises each in its
/// reseller's scope as the system principal, deletes the schedule and audits, one transaction per
/// person.
///
/// No leader election: every replica (and `switchboard retention run`) may run it at once. Each
/// anonymisation first locks the employee row, then re-reads the schedule under that lock: a
/// second runner waits for the first, finds the schedule gone (or cancelled) and skips, and a
/// person already anonymised is never anonymised twice.
public struct ScheduledAnonymiser: Sendable {
    public struct Outcome: Sendable, Equatable {
        /// Employees anonymised by this run.
        public var anonymised: [UUID] = []
        /// Due schedules another runner, a cancellation or an earlier anonymisation took care of.
        public var skipped = 0
        /// Due schedules whose anonymisation failed (logged; retried at the next run).
        public var failed = 0

        public init() {}
    }

    let database: ScopedDatabase
    let quarantine: QuarantineRule
    /// Destroys each person's content key before their rows change.
    let vault: ContentVault
    /// At most this many per run, so one run's work is bounded; the rest wait for the next.
    let batchSize: Int

    public init(database: ScopedDatabase, quarantine: QuarantineRule, vault: ContentVault, batchSize: Int = 500) {
        self.database = database
        self.vault = vault
        self.quarantine = quarantine
        self.batchSize = batchSize
    }

    /// The schedules due at `clock` (by UTC day), as (reseller, employee).
    public func due(clock: Date, logger: Logger) async throws -> [(resellerID: UUID, employeeID: UUID)] {
        try await database.transaction(.retention, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT reseller_id, employee_id FROM sb.due_anonymisations(\(clock), \(batchSize)::integer)", logger: logger
            )
            var due: [(resellerID: UUID, employeeID: UUID)] = []
            for try await (reseller, employee) in rows.decode((UUID, UUID).self) { due.append((reseller, employee)) }
            return due
        }
    }

    public func run(clock: Date, logger: Logger) async throws -> Outcome {
        var outcome = Outcome()
        for (resellerID, employeeID) in try await due(clock: clock, logger: logger) {
            do {
                if try await anonymise(employeeID, resellerID: resellerID, clock: clock, logger: logger) {
                    outcome.anonymised.append(employeeID)
                } else {
                    outcome.skipped += 1
                }
            } catch {
                // One person's failure (rolled back) does not hold up the others.
                outcome.failed += 1
                logger.error("scheduled anonymisation failed; retried at the next run",
                             metadata: ["employee": "\(employeeID)", "error": "\(PostgresErrorDescription.describe(error))"])
            }
        }
        return outcome
    }

    /// False when there was nothing (left) to do.
    private func anonymise(_ employeeID: UUID, resellerID: UUID, clock: Date, logger: Logger) async throws -> Bool {
        let principal = Principal.scheduledDuty(reseller: resellerID)
        return try await database.transaction(.principal(principal), logger: logger) { connection in
            let employees = EmployeeRepository(connection, logger: logger, tenant: resellerID)
            let schedules = ScheduledAnonymisationRepository(connection, logger: logger)
            guard let locked = try await employees.lockInIDOrder([employeeID])[employeeID] else { return false }
            guard let schedule = try await schedules.get(employeeID), schedule.dueOn <= Self.day(clock) else { return false }
            _ = try await schedules.cancel(employeeID)
            guard locked.anonymisedAt == nil else { return false }
            let result = try await employees.anonymise(employeeID, pseudonym: Pseudonym.make(), quarantine: quarantine, now: clock, vault: vault)
            try await AuditLog.append(
                AuditEntry(action: "employee.anonymise", targetID: employeeID, fields: result.erasedFields,
                           resellerID: locked.resellerID, customerID: locked.customerID),
                by: principal, on: connection, logger: logger
            )
            return true
        }
    }

    /// `clock`'s UTC day as `YYYY-MM-DD`, comparable as text with a schedule's day.
    public static func day(_ clock: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: clock)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}

extension ScheduledAnonymiser.Outcome {
    /// One line for an operator.
    public var summary: String {
        "carried out \(anonymised.count) scheduled anonymisation(s); \(skipped) already done or cancelled; \(failed) failed (retried next run)"
    }
}
