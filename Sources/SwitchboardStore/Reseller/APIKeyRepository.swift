import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// API keys of the platform (resellerID nil) or of one reseller.
public struct APIKeyRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func create(id: UUID, resellerID: UUID?, name: String, secret: IssuedSecret, createdBy: UUID?) async throws -> APIKeyRecord {
        let hash = Data(hexString: secret.hash)
        if let resellerID {
            try await connection.query(
                """
                INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by)
                VALUES (\(resellerID), \(id), \(name), \(hash), \(secret.displayPrefix), \(createdBy))
                """,
                logger: logger
            )
        } else {
            try await connection.query(
                """
                INSERT INTO sb.platform_api_keys (id, name, secret_hash, display_prefix, created_by)
                VALUES (\(id), \(name), \(hash), \(secret.displayPrefix), \(createdBy))
                """,
                logger: logger
            )
        }
        return APIKeyRecord(id: id, resellerID: resellerID, name: name, displayPrefix: secret.displayPrefix, createdAt: Date(), lastUsedAt: nil, revokedAt: nil)
    }

    public func createTelephonyKey(id: UUID, name: String, secret: IssuedSecret, createdBy: UUID) async throws -> APIKeyRecord {
        try await connection.query(
            """
            INSERT INTO sb.telephony_api_keys (id, name, secret_hash, display_prefix, created_by)
            VALUES (\(id), \(name), \(Data(hexString: secret.hash)), \(secret.displayPrefix), \(createdBy))
            """,
            logger: logger
        )
        return APIKeyRecord(id: id, resellerID: nil, name: name, displayPrefix: secret.displayPrefix, createdAt: Date(), lastUsedAt: nil, revokedAt: nil)
    }

    /// The caller's own keys: platform keys for the platform, the reseller's for a reseller (its policy scopes them).
    public func list(heldBy holder: APIKeyHolder) async throws -> [APIKeyRecord] {
        let sql: PostgresQuery = holder == .reseller
            ? "SELECT id, reseller_id, name, display_prefix, created_at, last_used_at, revoked_at FROM sb.reseller_api_keys ORDER BY id"
            : "SELECT id, NULL::uuid, name, display_prefix, created_at, last_used_at, revoked_at FROM sb.platform_api_keys ORDER BY id"
        var keys: [APIKeyRecord] = []
        for try await row in try await connection.query(sql, logger: logger).decode((UUID, UUID?, String, String, Date, Date?, Date?).self) {
            keys.append(APIKeyRecord(id: row.0, resellerID: row.1, name: row.2, displayPrefix: row.3, createdAt: row.4, lastUsedAt: row.5, revokedAt: row.6))
        }
        return keys
    }

    /// Revokes one of the caller's keys; false when there is no such key visible to the caller.
    public func revoke(_ id: UUID, heldBy holder: APIKeyHolder) async throws -> Bool {
        try await revoke(id, in: holder == .reseller ? "sb.reseller_api_keys" : "sb.platform_api_keys")
    }

    /// Revoking a revoked key keeps its first revocation time and still answers true. Written as
    /// two plain statements: Citus refuses `coalesce(revoked_at, now())` in an UPDATE.
    private func revoke(_ id: UUID, in table: String) async throws -> Bool {
        let revoked = try await connection.query(
            "UPDATE \(unescaped: table) SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger
        ).collect().isEmpty == false
        if revoked {
            try await CredentialChangeNotice.announce(on: connection, logger: logger)
            return true
        }
        return try await connection.query("SELECT 1 FROM \(unescaped: table) WHERE id = \(id)", logger: logger).collect().isEmpty == false
    }

    /// The telephony platform's keys (platform scope), oldest first, without secrets.
    public func listTelephonyKeys() async throws -> [APIKeyRecord] {
        var keys: [APIKeyRecord] = []
        let rows = try await connection.query(
            "SELECT id, name, display_prefix, created_at, last_used_at, revoked_at FROM sb.telephony_api_keys ORDER BY id",
            logger: logger
        )
        for try await row in rows.decode((UUID, String, String, Date, Date?, Date?).self) {
            keys.append(APIKeyRecord(id: row.0, resellerID: nil, name: row.1, displayPrefix: row.2, createdAt: row.3, lastUsedAt: row.4, revokedAt: row.5))
        }
        return keys
    }

    /// Revokes a telephony key (platform scope); false when there is no such key.
    public func revokeTelephonyKey(_ id: UUID) async throws -> Bool {
        try await revoke(id, in: "sb.telephony_api_keys")
    }

    /// True while the reseller has a live (unrevoked) key.
    public func resellerHasActiveKey(_ resellerID: UUID) async throws -> Bool {
        try await connection.query(
            "SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = \(resellerID) AND revoked_at IS NULL LIMIT 1", logger: logger
        ).collect().isEmpty == false
    }

    /// True once the reseller has any key, live or revoked.
    public func resellerHasKey(_ resellerID: UUID) async throws -> Bool {
        try await connection.query("SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = \(resellerID) LIMIT 1", logger: logger)
            .collect().isEmpty == false
    }

    /// True once any platform key exists (bootstrap runs only on an empty database).
    public func platformKeyExists() async throws -> Bool {
        try await connection.query("SELECT 1 FROM sb.platform_api_keys LIMIT 1", logger: logger).collect().isEmpty == false
    }
}
