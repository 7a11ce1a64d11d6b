import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Resellers, as the platform manages them (the policies let a reseller read only itself).
public struct ResellerRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    static let columns = "id, name, status, contact_name, contact_email, contact_phone, created_at, updated_at, version"

    public func create(id: UUID, name: String, contactName: String?, contactEmail: String?, contactPhone: String?) async throws -> ResellerRecord {
        let rows = try await connection.query(
            """
            INSERT INTO sb.resellers (id, name, contact_name, contact_email, contact_phone)
            VALUES (\(id), \(name), \(contactName), \(contactEmail), \(contactPhone))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        return try await Self.decode(rows).first!
    }

    public func get(_ id: UUID) async throws -> ResellerRecord? {
        try await Self.decode(connection.query("SELECT \(unescaped: Self.columns) FROM sb.resellers WHERE id = \(id)", logger: logger)).first
    }

    /// Locks the reseller row for the rest of the transaction; false when there is no such reseller.
    public func lock(_ id: UUID) async throws -> Bool {
        try await connection.query("SELECT 1 FROM sb.resellers WHERE id = \(id) FOR UPDATE", logger: logger).collect().isEmpty == false
    }

    public func list(after cursor: UUID?, limit: Int) async throws -> Page<ResellerRecord, UUID> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM sb.resellers
            WHERE \(cursor)::uuid IS NULL OR id > \(cursor)
            ORDER BY id LIMIT \(limit + 1)
            """,
            logger: logger
        )
        return Page(fetched: try await Self.decode(rows), limit: limit, key: \.id)
    }

    /// Applies `changes` if the record is still at `expectedVersion` (when given).
    public func update(_ id: UUID, _ changes: ResellerChanges, expectedVersion: Int?) async throws -> ResellerRecord {
        let rows = try await connection.query(
            """
            UPDATE sb.resellers SET
                name = coalesce(\(changes.name), name),
                status = coalesce(\(changes.status), status),
                contact_name = CASE WHEN \(changes.contactName)::text IS NULL THEN contact_name ELSE nullif(\(changes.contactName), '') END,
                contact_email = CASE WHEN \(changes.contactEmail)::text IS NULL THEN contact_email ELSE nullif(\(changes.contactEmail), '') END,
                contact_phone = CASE WHEN \(changes.contactPhone)::text IS NULL THEN contact_phone ELSE nullif(\(changes.contactPhone), '') END,
                updated_at = now(),
                version = version + 1
            WHERE id = \(id) AND (\(expectedVersion)::int IS NULL OR version = \(expectedVersion))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        if let updated = try await Self.decode(rows).first {
            if changes.status != nil { try await CredentialChangeNotice.announce(on: connection, logger: logger) }
            return updated
        }
        guard let current = try await get(id) else { throw StoreError.notFound }
        throw StoreError.versionMismatch(current: current.version)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [ResellerRecord] {
        var records: [ResellerRecord] = []
        for try await row in rows.decode((UUID, String, ResellerStatus, String?, String?, String?, Date, Date, Int).self) {
            records.append(ResellerRecord(id: row.0, name: row.1, status: row.2, contactName: row.3, contactEmail: row.4,
                                          contactPhone: row.5, createdAt: row.6, updatedAt: row.7, version: row.8))
        }
        return records
    }
}
