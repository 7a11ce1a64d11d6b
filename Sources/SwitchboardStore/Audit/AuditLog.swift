import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Appends to the hash-chained, append-only audit trail inside the caller's transaction,
/// so an audited change and its entry commit or roll back together.
public enum AuditLog {
    public static func append(_ entry: AuditEntry, by principal: Principal, on connection: PostgresConnection, logger: Logger) async throws {
        try await append([entry], by: principal, on: connection, logger: logger)
    }

    /// Many entries in one statement, in order (a bulk import writes one per person and change).
    /// The chain trigger still runs per row, so the hash chain is the same as for single appends.
    public static func append(_ entries: [AuditEntry], by principal: Principal, on connection: PostgresConnection, logger: Logger) async throws {
        try await insert(entries, principalID: principal.id, principalKind: principal.kind.rawValue, role: principal.role.databaseRole,
                         on: connection, logger: logger)
    }

    /// Events of the login flow, recorded before any principal exists (the subject is the person
    /// logging in). `sb.append_login_entry` checks that the login e-mail names that person, on the
    /// coordinator where a Citus cluster can read the managers (migration 0031), and appends.
    public static func appendLogin(_ entry: AuditEntry, personID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            SELECT sb.append_login_entry(\(personID), \(entry.resellerID), \(entry.customerID), \(entry.action), \(entry.targetID), \(entry.fields))
            """,
            logger: logger
        )
    }

    /// Each entry names its chain, which on Citus routes it to its shard.
    private static func insert(_ entries: [AuditEntry], principalID: UUID, principalKind: String, role: String,
                               on connection: PostgresConnection, logger: Logger) async throws {
        try await MultiRowInsert(
            table: "sb.audit_events",
            columns: ["chain", "principal_id", "principal_kind", "role", "reseller_id", "customer_id", "action", "target_id", "fields"]
        ).run(entries, on: connection, logger: logger) { entry, row in
            row.append(entry.chain)
            row.append(principalID)
            row.append(principalKind)
            row.append(role)
            row.append(entry.resellerID)
            row.append(entry.customerID)
            row.append(entry.action)
            row.append(entry.targetID)
            row.append(entry.fields)
        }
    }
}
