import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Reads and writes of the authenticator scope, which sees only the credential being presented.
public struct AuthenticationRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The principal a credential stands for, looked up in the table its prefix names.
    public func resolve(hash: String, kind: CredentialKind?) async throws -> Principal? {
        switch kind {
        case .session:
            return try await resolveSession(hash: hash).map {
                Principal.manager($0.managerID, reseller: $0.resellerID, customer: $0.customerID, session: $0.sessionID)
            }
        case .resellerKey:
            return try await resolveKey(hash: hash, in: .reseller).flatMap { owner in
                owner.resellerID.map { Principal.resellerKey(owner.keyID, reseller: $0) }
            }
        case .telephonyKey:
            return try await resolveKey(hash: hash, in: .telephony).map { Principal.telephonyKey($0.keyID) }
        case .platformKey, nil:
            return try await resolveKey(hash: hash, in: .platform).map { Principal.platformKey($0.keyID) }
        }
    }

    public struct KeyOwner: Sendable, Equatable {
        public var keyID: UUID
        /// Nil for platform and telephony keys.
        public var resellerID: UUID?
    }

    /// The table each kind of API key lives in.
    public enum KeyTable: Sendable {
        case platform, reseller, telephony

        var name: String {
            switch self {
            case .platform: "sb.platform_api_keys"
            case .reseller: "sb.reseller_api_keys"
            case .telephony: "sb.telephony_api_keys"
            }
        }
    }

    /// The live key with this hash, if its owner is active; marks it used at most once a minute to spare writes.
    public func resolveKey(hash: String, in table: KeyTable) async throws -> KeyOwner? {
        let bytes = Data(hexString: hash)
        let rows = switch table {
        case .reseller: try await connection.execute(ResellerKeyLookup(hash: bytes), logger: logger)
        case .platform: try await connection.execute(PlatformKeyLookup(hash: bytes), logger: logger)
        case .telephony: try await connection.execute(TelephonyKeyLookup(hash: bytes), logger: logger)
        }
        for try await (id, resellerID, stale) in rows {
            if stale {
                try await connection.query(
                    "UPDATE \(unescaped: table.name) SET last_used_at = now() WHERE secret_hash = \(bytes)",
                    logger: logger
                )
            }
            return KeyOwner(keyID: id, resellerID: resellerID)
        }
        return nil
    }

    public struct SessionOwner: Sendable, Equatable {
        public var sessionID: UUID
        public var managerID: UUID
        public var resellerID: UUID
        public var customerID: UUID
    }

    public func resolveSession(hash: String) async throws -> SessionOwner? {
        for try await (id, manager, reseller, customer) in try await connection.execute(SessionLookup(hash: Data(hexString: hash)), logger: logger) {
            return SessionOwner(sessionID: id, managerID: manager, resellerID: reseller, customerID: customer)
        }
        return nil
    }

    public struct LoginCandidate: Sendable {
        public var managerID: UUID
        public var resellerID: UUID
        public var customerID: UUID
        public var passwordHash: String
    }

    /// Claims one login attempt for this e-mail before the password is checked: counts it as a
    /// failure and, on every `lockAfter`-th, locks the login for `lockFor`. Returns nil when the
    /// e-mail is unknown, locked, or its company or reseller is no longer active. Being one
    /// statement, concurrent attempts cannot all slip in before the lock is set.
    public func claimLoginAttempt(email: String, lockAfter: Int, lockFor: Duration) async throws -> LoginCandidate? {
        let rows = try await connection.query(
            """
            UPDATE sb.managers m SET
                failed_logins = m.failed_logins + 1,
                locked_until = CASE WHEN (m.failed_logins + 1) % \(lockAfter) = 0
                                    THEN now() + make_interval(secs => \(Double(lockFor.components.seconds)))
                                    ELSE m.locked_until END
            FROM sb.customers c, sb.resellers r
            WHERE m.email = \(email) AND (m.locked_until IS NULL OR m.locked_until <= now())
              AND c.reseller_id = m.reseller_id AND c.id = m.customer_id AND c.status = 'active'
              AND r.id = m.reseller_id AND r.status = 'active'
            RETURNING m.id, m.reseller_id, m.customer_id, m.password_hash
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, String).self) {
            return LoginCandidate(managerID: row.0, resellerID: row.1, customerID: row.2, passwordHash: row.3)
        }
        return nil
    }

    /// The password matched: the claimed attempt was no failure after all.
    public func recordSuccess(email: String) async throws {
        try await connection.query("UPDATE sb.managers SET failed_logins = 0, locked_until = NULL WHERE email = \(email)", logger: logger)
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

// The credential lookups run on every request, always as sb_authenticator (so a cached plan stays
// valid): prepared once per connection instead of parsed and planned each time.

/// A credential lookup bound to the presented secret's hash.
protocol CredentialLookup: PostgresPreparedStatement {
    var hash: Data { get }
}

extension CredentialLookup {
    static var bindingDataTypes: [PostgresDataType] { [.bytea] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        try bindings.append(hash)
        return bindings
    }
}

/// Key id, reseller id (nil for platform and telephony keys), and whether `last_used_at` is stale.
protocol KeyLookup: CredentialLookup where Row == (UUID, UUID?, Bool) {}

extension KeyLookup {
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct ResellerKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, k.reseller_id, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.reseller_api_keys k JOIN sb.resellers r ON r.id = k.reseller_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND r.status = 'active'
        """
    let hash: Data
}

struct PlatformKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.platform_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        """
    let hash: Data
}

struct TelephonyKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.telephony_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        """
    let hash: Data
}

/// Session, manager, reseller and customer ids of a live session whose company and reseller are active.
struct SessionLookup: CredentialLookup {
    static let sql = """
        SELECT s.id, s.manager_id, s.reseller_id, s.customer_id FROM sb.sessions s
        JOIN sb.customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
        JOIN sb.resellers r ON r.id = s.reseller_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND c.status = 'active' AND r.status = 'active'
        """
    typealias Row = (UUID, UUID, UUID, UUID)
    let hash: Data

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
