import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The platform's staff accounts (platform scope). Passwords arrive hashed; duties are stored in
/// their declaration order so a listing reads the same every time.
package struct PlatformStaffRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package func create(id: UUID, email: String, fullName: String, duties: Set<PlatformDuty>, passwordHash: String, createdBy: UUID) async throws -> PlatformStaffRecord {
        let rows = try await connection.query(
            """
            INSERT INTO sb.platform_staff (id, email, full_name, duties, password_hash, created_by)
            VALUES (\(id), \(email), \(fullName), \(duties.sorted().map(\.rawValue)), \(passwordHash), \(createdBy))
            RETURNING \(unescaped: PlatformStaffRecord.columns)
            """,
            logger: logger
        )
        for try await row in rows { return try PlatformStaffRecord(row: row) }
        throw StoreError.notFound
    }

    package func list() async throws -> [PlatformStaffRecord] {
        let rows = try await connection.query("SELECT \(unescaped: PlatformStaffRecord.columns) FROM sb.platform_staff ORDER BY created_at, id", logger: logger)
        var records: [PlatformStaffRecord] = []
        for try await row in rows { records.append(try PlatformStaffRecord(row: row)) }
        return records
    }

    /// The account before and after; nil for an unknown id.
    package func update(_ id: UUID, fullName: String, duties: Set<PlatformDuty>, active: Bool) async throws -> (before: PlatformStaffRecord, after: PlatformStaffRecord)? {
        var before: PlatformStaffRecord?
        for try await row in try await connection.query(
            "SELECT \(unescaped: PlatformStaffRecord.columns) FROM sb.platform_staff WHERE id = \(id) FOR UPDATE", logger: logger
        ) { before = try PlatformStaffRecord(row: row) }
        guard let before else { return nil }
        let rows = try await connection.query(
            """
            UPDATE sb.platform_staff SET full_name = \(fullName), duties = \(duties.sorted().map(\.rawValue)),
                status = \(active ? "active" : "disabled"), updated_at = now()
            WHERE id = \(id) RETURNING \(unescaped: PlatformStaffRecord.columns)
            """,
            logger: logger
        )
        for try await row in rows {
            let after = try PlatformStaffRecord(row: row)
            // Duties and status decide what a staff session may do.
            try await CredentialChangeNotice.announce(on: connection, logger: logger)
            return (before, after)
        }
        return nil
    }
}
