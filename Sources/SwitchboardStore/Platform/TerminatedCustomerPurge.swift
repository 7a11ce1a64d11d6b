import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The terminated-customers rule: once a customer has been terminated for the declared period,
/// its processor-scope data goes, in three steps that each commit:
///
/// 1. the purge is marked started (`sb.retention_start_customer_purge`): from then on the
///    reseller can no longer reactivate the customer, so no key is destroyed under a live customer;
/// 2. the people's content keys are destroyed in the key store (with tombstones);
/// 3. the rows go (`sb.retention_purge_customer`), in the reseller's scope as the scheduled duty,
///    with the `customer.purge` entry in the reseller's audit chain in the same transaction.
///
/// A crash between steps leaves the purge started; the next run repeats 2 (harmless) and 3.
struct TerminatedCustomerPurge: Sendable {
    let database: ScopedDatabase
    let vault: ContentVault
    let quarantine: QuarantineRule
    /// Customers per run, so one run's work stays bounded; the rest wait for the next.
    var batchSize = 100

    var grace: RetentionSpan { .days(RetentionPeriod.terminatedCustomerDays) }

    func run(clock: Date, dryRun: Bool, logger: Logger) async throws -> RetentionRuleReport {
        let due = try await database.transaction(.retention, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT reseller_id, customer_id, employees, managers FROM sb.retention_customers_due(\(clock), \(grace.intervalText)::interval, \(batchSize)::integer)",
                logger: logger
            )
            var due: [(reseller: UUID, customer: UUID, people: Int64)] = []
            for try await (reseller, customer, employees, managers) in rows.decode((UUID, UUID, Int64, Int64).self) {
                due.append((reseller, customer, employees + managers))
            }
            return due
        }
        var perReseller: [UUID: Int64] = [:]
        var purged = 0, failed = 0
        for customer in due {
            if dryRun {
                perReseller[customer.reseller, default: 0] += customer.people
                purged += 1
                continue
            }
            do {
                if let rows = try await purge(customer.customer, reseller: customer.reseller, clock: clock, logger: logger) {
                    perReseller[customer.reseller, default: 0] += rows
                    purged += 1
                }
            } catch {
                // One customer's failure does not hold up the others; the purge stays started and
                // the next run finishes it.
                failed += 1
                logger.error("purge of a terminated customer failed; retried at the next run", metadata: [
                    "reseller": "\(customer.reseller)", "customer": "\(customer.customer)", "error": "\(PostgresErrorDescription.describe(error))",
                ])
            }
        }
        var note = "\(purged) customer(s)\(dryRun ? " (people counted)" : "")"
        if failed > 0 { note += "; \(failed) failed, retried next run" }
        if due.count == batchSize { note += "; more are due, next run" }
        return RetentionRuleReport(perReseller: perReseller, note: due.isEmpty ? nil : note)
    }

    /// Rows deleted, or nil when the customer was no longer due (reactivated meanwhile).
    private func purge(_ customer: UUID, reseller: UUID, clock: Date, logger: Logger) async throws -> Int64? {
        let people = try await database.transaction(.retention, logger: logger) { connection -> [UUID]? in
            let rows = try await connection.query(
                "SELECT employee_id FROM sb.retention_start_customer_purge(\(reseller), \(customer), \(clock), \(grace.intervalText)::interval)",
                logger: logger
            )
            var people: [UUID] = []
            for try await id in rows.decode(UUID.self) { people.append(id) }
            return people
        }
        guard let people else { return nil }
        try await vault.erase(people, reason: "customer-purge")
        let principal = Principal.scheduledDuty(reseller: reseller)
        return try await database.transaction(.principal(principal), logger: logger) { connection in
            let until = quarantine.ends(releasedAt: clock)
            let rows: [(String, Int64)]
            do {
                rows = try await connection.query(
                    "SELECT item, affected FROM sb.retention_purge_customer(\(reseller), \(customer), \(until))", logger: logger
                ).collect().map { try $0.decode((String, Int64).self) }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55000" {
                return nil  // not started: the customer was reactivated before step 1
            }
            try await AuditLog.append(
                AuditEntry(action: "customer.purge", targetID: customer, fields: rows.filter { $0.1 > 0 }.map(\.0), resellerID: reseller, customerID: customer),
                by: principal, on: connection, logger: logger
            )
            return rows.reduce(0) { $0 + $1.1 }
        }
    }
}
