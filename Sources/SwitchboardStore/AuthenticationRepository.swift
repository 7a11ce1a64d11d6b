import Foundation
import Logging
import PostgresNIO

/// Reads and writes of the authenticator scope, which sees only the credential being presented.
public struct AuthenticationRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public struct KeyOwner: Sendable, Equatable {
        public var keyID: UUID
        /// Nil for a platform key.
        public var resellerID: UUID?
    }

    /// The live (not revoked) key with this hash; marks it used, at most once a minute to spare writes.
    public func resolveKey(hash: String, reseller: Bool) async throws -> KeyOwner? {
        let bytes = Data(hexString: hash)
        let table = reseller ? "sb.reseller_api_keys" : "sb.platform_api_keys"
        let owner = reseller ? "reseller_id" : "NULL::uuid"
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                UPDATE \(table) SET last_used_at = now()
                WHERE secret_hash = $1 AND revoked_at IS NULL
                  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                RETURNING id, \(owner)
                """, binds: try Self.binds(bytes)),
            logger: logger
        )
        for try await (id, resellerID) in rows.decode((UUID, UUID?).self) { return KeyOwner(keyID: id, resellerID: resellerID) }
        let read = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT id, \(owner) FROM \(table) WHERE secret_hash = $1 AND revoked_at IS NULL", binds: try Self.binds(bytes)),
            logger: logger
        )
        for try await (id, resellerID) in read.decode((UUID, UUID?).self) { return KeyOwner(keyID: id, resellerID: resellerID) }
        return nil
    }

    private static func binds(_ bytes: Data) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        try bindings.append(bytes)
        return bindings
    }

    public struct SessionOwner: Sendable, Equatable {
        public var sessionID: UUID
        public var managerID: UUID
        public var resellerID: UUID
        public var customerID: UUID
    }

    public func resolveSession(hash: String) async throws -> SessionOwner? {
        let rows = try await connection.query(
            """
            SELECT id, manager_id, reseller_id, customer_id FROM sb.sessions
            WHERE token_hash = \(Data(hexString: hash)) AND revoked_at IS NULL AND expires_at > now()
            """,
            logger: logger
        )
        for try await (id, manager, reseller, customer) in rows.decode((UUID, UUID, UUID, UUID).self) {
            return SessionOwner(sessionID: id, managerID: manager, resellerID: reseller, customerID: customer)
        }
        return nil
    }

    public struct LoginCandidate: Sendable {
        public var managerID: UUID
        public var resellerID: UUID
        public var customerID: UUID
        public var passwordHash: String
        public var failedLogins: Int
        public var lockedUntil: Date?
    }

    /// The person with this login e-mail (the scope's `sb.login_email` must be the same address).
    public func loginCandidate(email: String) async throws -> LoginCandidate? {
        let rows = try await connection.query(
            "SELECT id, reseller_id, customer_id, password_hash, failed_logins, locked_until FROM sb.managers WHERE email = \(email)",
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, String, Int, Date?).self) {
            return LoginCandidate(managerID: row.0, resellerID: row.1, customerID: row.2, passwordHash: row.3, failedLogins: row.4, lockedUntil: row.5)
        }
        return nil
    }

    /// Counts a failed password; every `lockAfter`-th consecutive failure locks the login for `lockFor`.
    public func recordFailure(email: String, lockAfter: Int, lockFor: Duration) async throws {
        try await connection.query(
            """
            UPDATE sb.managers SET
                failed_logins = failed_logins + 1,
                locked_until = CASE WHEN (failed_logins + 1) % \(lockAfter) = 0
                                    THEN now() + make_interval(secs => \(Double(lockFor.components.seconds)))
                                    ELSE locked_until END
            WHERE email = \(email)
            """,
            logger: logger
        )
    }

    public func recordSuccess(email: String) async throws {
        try await connection.query("UPDATE sb.managers SET failed_logins = 0, locked_until = NULL WHERE email = \(email) AND failed_logins > 0", logger: logger)
    }

    public func openSession(_ candidate: LoginCandidate, id: UUID, tokenHash: String, expiresAt: Date) async throws {
        try await connection.query(
            """
            INSERT INTO sb.sessions (reseller_id, customer_id, id, manager_id, token_hash, expires_at)
            VALUES (\(candidate.resellerID), \(candidate.customerID), \(id), \(candidate.managerID), \(Data(hexString: tokenHash)), \(expiresAt))
            """,
            logger: logger
        )
    }
}

/// A person ending their own session (customer scope).
public struct SessionRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func revoke(_ sessionID: UUID) async throws -> Bool {
        try await connection.query(
            "UPDATE sb.sessions SET revoked_at = now() WHERE id = \(sessionID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        ).collect().isEmpty == false
    }
}
