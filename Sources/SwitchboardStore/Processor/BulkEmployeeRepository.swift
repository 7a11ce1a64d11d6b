import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Many employees of one company at once, for the staff CSV import and export. Each write is one
/// set-based statement over parallel arrays (`unnest`), so 10,000 rows cost a handful of round
/// trips, not 30,000. As in ``EmployeeRepository``, every statement names the reseller (one shard
/// group on Citus) and the policies scope it.
public struct BulkEmployeeRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Which of `extensions` the company's employees already use.
    public func extensionsInUse(resellerID: UUID, customerID: UUID, among extensions: [String]) async throws -> Set<String> {
        guard !extensions.isEmpty else { return [] }
        let rows = try await connection.query(
            "SELECT extension FROM sb.employees WHERE reseller_id = sb.statement_tenant(\(resellerID)) AND customer_id = \(customerID) AND extension = ANY(\(extensions))",
            logger: logger
        )
        var used: Set<String> = []
        for try await value in rows.decode(String.self) { used.insert(value) }
        return used
    }

    /// Creates the employees under the given ids, with their numbers and SIM cards (claimed from
    /// stock first): a multi-row insert per table and 1,000 rows. Throws
    /// ``DataProcessingAgreementMissing`` when the policy refuses the rows (as a single create does).
    package func create(_ new: [(id: UUID, employee: StaffImportEmployee)], resellerID: UUID, customerID: UUID) async throws {
        guard !new.isEmpty else { return }
        do {
            try await MultiRowInsert(table: "sb.employees", columns: ["reseller_id", "customer_id", "id", "full_name", "email", "mobile", "extension"])
                .run(new, on: connection, logger: logger) { person, row in
                    row.append(resellerID)
                    row.append(customerID)
                    row.append(person.id)
                    row.append(person.employee.fullName)
                    row.append(person.employee.email)
                    row.append(person.employee.mobile)
                    row.append(person.employee.extensionNumber)
                }
        } catch {
            if case StoreError.refusedByPolicy = StoreError.classify(error) { throw DataProcessingAgreementMissing() }
            throw error
        }
        try await assign(new.flatMap { id, employee in employee.numbers.map { (id, $0) } }, into: "sb.number_assignments", column: "number",
                         resellerID: resellerID, customerID: customerID)
        try await assign(new.flatMap { id, employee in employee.iccids.map { (id, $0) } }, into: "sb.sim_cards", column: "iccid",
                         resellerID: resellerID, customerID: customerID)
    }

    /// One assignment row per (employee, value) pair, under a new id.
    private func assign(_ pairs: [(employeeID: UUID, value: String)], into table: String, column: String, resellerID: UUID, customerID: UUID) async throws {
        try await MultiRowInsert(table: table, columns: ["reseller_id", "customer_id", "employee_id", "id", column])
            .run(pairs, on: connection, logger: logger) { pair, row in
                row.append(resellerID)
                row.append(customerID)
                row.append(pair.employeeID)
                row.append(TimeOrderedID.make())
                row.append(pair.value)
            }
    }

    /// The company's employees who are not anonymised, in id order, each with their current
    /// numbers and SIM cards: one statement, read whole (bounded by the company's size).
    public func current(resellerID: UUID, customerID: UUID) async throws -> [EmployeeRecord] {
        var binds = PostgresBindings(capacity: 2)
        binds.append(resellerID)
        binds.append(customerID)
        let sql = EmployeeRepository.selectSQL(tenant: "$1", filter: "e.customer_id = $2 AND e.anonymised_at IS NULL", limit: "ALL")
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var records: [EmployeeRecord] = []
        for try await row in rows { records.append(try EmployeeRepository.record(row)) }
        return records
    }
}
