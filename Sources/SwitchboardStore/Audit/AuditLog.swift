import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Appends to the hash-chained, append-only audit trail inside the caller's transaction,
/// so an audited change and its entry commit or roll back together.
public enum AuditLog {
    public static func append(_ entry: AuditEntry, by principal: Principal, on connection: PostgresConnection, logger: Logger) async throws {
        try await insert(entry, principalID: principal.id, principalKind: principal.kind.rawValue, role: principal.role.databaseRole, on: connection, logger: logger)
    }

    /// Many entries in one statement, in order (a bulk import writes one per person and change).
    /// The chain trigger still runs per row, so the hash chain is the same as for single appends.
    public static func append(_ entries: [AuditEntry], by principal: Principal, on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        try await MultiRowInsert(
            table: "sb.audit_events",
            columns: ["chain", "principal_id", "principal_kind", "role", "reseller_id", "customer_id", "action", "target_id", "fields"]
        ).run(entries, on: connection, logger: logger) { entry, row in
            row.append(entry.chain)
            row.append(principal.id)
            row.append(principal.kind.rawValue)
            row.append(principal.role.databaseRole)
            row.append(entry.resellerID)
            row.append(entry.customerID)
            row.append(entry.action)
            row.append(entry.targetID)
            row.append(entry.fields)
        }
    }

    /// Events of the login flow, recorded before any principal exists (the subject is the person logging in).
    public static func appendLogin(_ entry: AuditEntry, personID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await insert(entry, principalID: personID, principalKind: "login", role: "sb_authenticator", on: connection, logger: logger)
    }

    private static func insert(_ entry: AuditEntry, principalID: UUID, principalKind: String, role: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
            VALUES (\(entry.chain), \(principalID), \(principalKind), \(role), \(entry.resellerID), \(entry.customerID), \(entry.action), \(entry.targetID), \(entry.fields))
            """,
            logger: logger
        )
    }
}
