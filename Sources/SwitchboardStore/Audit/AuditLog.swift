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

    /// Events of the login flow, recorded before any principal exists (the subject is the person logging in).
    public static func appendLogin(_ entry: AuditEntry, personID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await insert(entry, principalID: personID, principalKind: "login", role: "sb_authenticator", on: connection, logger: logger)
    }

    private static func insert(_ entry: AuditEntry, principalID: UUID, principalKind: String, role: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO sb.audit_events (principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
            VALUES (\(principalID), \(principalKind), \(role), \(entry.resellerID), \(entry.customerID), \(entry.action), \(entry.targetID), \(entry.fields))
            """,
            logger: logger
        )
    }
}
