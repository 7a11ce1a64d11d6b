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

    /// A presented credential that matched, and the principal whose scope the transaction is now in.
    public struct ResolvedCredential: Sendable {
        public var principal: Principal
        /// An API key whose `last_used_at` is over a minute old: see ``markKeyUsed(hash:kind:)``.
        public var keyUseIsStale: Bool
    }

    /// Looks the credential up in the table its prefix names and, in the same statement and only if
    /// it matched, switches the transaction to its principal's scope (saving a round trip on every
    /// request). Nil, with the scope unchanged, for an unknown, revoked or expired credential.
    public func resolveEnteringScope(hash: String, kind: CredentialKind?) async throws -> ResolvedCredential? {
        let bytes = Data(hexString: hash)
        switch kind {
        case .session:
            let rows = try await connection.execute(SessionLookup(hash: bytes, role: Role.customer.databaseRole), logger: logger)
            for try await row in rows {
                let principal = Principal.manager(row.1, reseller: row.2, customer: row.3, session: row.0)
                try Self.check(entered: (row.4, row.5, row.6, row.7, row.8, row.9), for: principal)
                return ResolvedCredential(principal: principal, keyUseIsStale: false)
            }
        case .resellerKey:
            let rows = try await connection.execute(ResellerKeyLookup(hash: bytes, role: Role.reseller.databaseRole), logger: logger)
            for try await row in rows {
                guard let resellerID = row.1 else { throw AuthenticationFailure() }
                return try Self.resolved(row, principal: .resellerKey(row.0, reseller: resellerID))
            }
        case .telephonyKey:
            for try await row in try await connection.execute(TelephonyKeyLookup(hash: bytes, role: Role.telephony.databaseRole), logger: logger) {
                return try Self.resolved(row, principal: .telephonyKey(row.0))
            }
        case .platformKey, nil:
            for try await row in try await connection.execute(PlatformKeyLookup(hash: bytes, role: Role.platform.databaseRole), logger: logger) {
                return try Self.resolved(row, principal: .platformKey(row.0))
            }
        }
        return nil
    }

    private static func resolved(_ row: KeyLookupRow, principal: Principal) throws -> ResolvedCredential {
        try check(entered: (row.3, row.4, row.5, row.6, row.7, row.8), for: principal)
        return ResolvedCredential(principal: principal, keyUseIsStale: row.2)
    }

    /// The scope the lookup entered must be exactly the one ``ScopedDatabase`` would enter for
    /// `principal`; anything else fails closed (the transaction rolls back).
    private static func check(entered: (String, String, String, String, String, String), for principal: Principal) throws {
        let expected = ScopedDatabase.Settings(.principal(principal))
        guard entered == (expected.role, expected.principalID, expected.resellerID, expected.customerID, expected.credentialHash, expected.loginEmail) else {
            throw AuthenticationFailure()
        }
    }

    /// Marks a key used; in the authenticator scope, whose grant this is.
    public func markKeyUsed(hash: String, kind: CredentialKind?) async throws {
        let table: String
        switch kind {
        case .resellerKey: table = "sb.reseller_api_keys"
        case .telephonyKey: table = "sb.telephony_api_keys"
        case .platformKey, nil: table = "sb.platform_api_keys"
        case .session: return  // sessions are not marked used
        }
        try await connection.query(
            "UPDATE \(unescaped: table) SET last_used_at = now() WHERE secret_hash = \(Data(hexString: hash))",
            logger: logger
        )
    }

    public struct LoginCandidate: Sendable {
        public var managerID: UUID
        public var resellerID: UUID
        public var customerID: UUID
        public var passwordHash: String
    }

    /// Claims one login attempt from `source` for `email` before the password is checked (see
    /// `sb.claim_login_attempt`): nil when the attempt may go ahead (it is counted as a failure until
    /// ``forgiveLogin(source:email:)``), else the seconds the client must wait. One statement
    /// under row locks, so concurrent attempts cannot all slip in before the backoff starts.
    public func claimLoginAttempt(source: String, email: String, rule: LoginThrottleRule) async throws -> Int? {
        let rows = try await connection.query(
            """
            SELECT sb.claim_login_attempt(\(source), \(email),
                \(rule.sourceFreeFailures)::integer, \(rule.sourceBaseSeconds)::integer, \(rule.sourceCapSeconds)::integer,
                \(rule.accountFreeFailures)::integer, \(rule.accountBaseSeconds)::integer, \(rule.accountCapSeconds)::integer,
                \(rule.forgetAfterSeconds)::integer)
            """,
            logger: logger
        )
        for try await wait in rows.decode(Int.self) {
            return wait > 0 ? wait : nil
        }
        return nil
    }

    /// The manager behind `email`, if its company and reseller are active; nil otherwise.
    public func loginCandidate(email: String) async throws -> LoginCandidate? {
        let rows = try await connection.query(
            """
            SELECT m.id, m.reseller_id, m.customer_id, m.password_hash
            FROM sb.managers m
            JOIN sb.customers c ON c.reseller_id = m.reseller_id AND c.id = m.customer_id
            JOIN sb.resellers r ON r.id = m.reseller_id
            WHERE m.email = \(email) AND c.status = 'active' AND r.status = 'active'
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, String).self) {
            return LoginCandidate(managerID: row.0, resellerID: row.1, customerID: row.2, passwordHash: row.3)
        }
        return nil
    }

    /// The password matched: the claimed attempt was no failure after all.
    public func forgiveLogin(source: String, email: String) async throws {
        try await connection.query("SELECT 1 FROM sb.forgive_login(\(source), \(email))", logger: logger)
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
//
// Each selects at most one live credential (`c`) in the authenticator scope, whose policies show
// only the presented credential's rows; the statement's privileges and policies are fixed when it
// starts, so the `set_config` calls, evaluated only for a matching row, affect the statements that
// follow and not this one. They set what `ScopedDatabase.enter` sets for the principal, and the
// caller checks the values they return against that.

/// A credential lookup bound to the presented secret's hash and the database role of its principal.
protocol CredentialLookup: PostgresPreparedStatement {
    var hash: Data { get }
    var role: String { get }
}

extension CredentialLookup {
    static var bindingDataTypes: [PostgresDataType] { [.bytea, .text] }

    /// `lookup` selects the credential's row (`LIMIT 1` keeps the switch to one row even if a
    /// uniqueness constraint were ever dropped); the expressions name its columns as `c.…`.
    static func enteringScope(_ lookup: String, principalID: String, resellerID: String, customerID: String) -> String {
        """
        SELECT c.*,
               set_config('role', $2, true),
               set_config('sb.principal_id', \(principalID), true),
               set_config('sb.reseller_id', \(resellerID), true),
               set_config('sb.customer_id', \(customerID), true),
               set_config('sb.credential_hash', '', true),
               set_config('sb.login_email', '', true)
        FROM (\(lookup) LIMIT 1) c
        """
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        try bindings.append(hash)
        bindings.append(role)
        return bindings
    }
}

/// Key id, reseller id (nil for platform and telephony keys), whether `last_used_at` is stale, then the scope entered.
typealias KeyLookupRow = (UUID, UUID?, Bool, String, String, String, String, String, String)

protocol KeyLookup: CredentialLookup where Row == KeyLookupRow {}

extension KeyLookup {
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct ResellerKeyLookup: KeyLookup {
    static let sql = enteringScope(
        """
        SELECT k.id, k.reseller_id, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.reseller_api_keys k JOIN sb.resellers r ON r.id = k.reseller_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND r.status = 'active'
        """,
        principalID: "c.id::text", resellerID: "c.reseller_id::text", customerID: "''"
    )
    let hash: Data
    let role: String
}

struct PlatformKeyLookup: KeyLookup {
    static let sql = enteringScope(
        """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.platform_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        """,
        principalID: "c.id::text", resellerID: "''", customerID: "''"
    )
    let hash: Data
    let role: String
}

struct TelephonyKeyLookup: KeyLookup {
    static let sql = enteringScope(
        """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.telephony_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        """,
        principalID: "c.id::text", resellerID: "''", customerID: "''"
    )
    let hash: Data
    let role: String
}

/// Session, manager, reseller and customer ids of a live session whose company and reseller are active, then the scope entered.
struct SessionLookup: CredentialLookup {
    static let sql = enteringScope(
        """
        SELECT s.id, s.manager_id, s.reseller_id, s.customer_id FROM sb.sessions s
        JOIN sb.customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
        JOIN sb.resellers r ON r.id = s.reseller_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND c.status = 'active' AND r.status = 'active'
        """,
        principalID: "c.manager_id::text", resellerID: "c.reseller_id::text", customerID: "c.customer_id::text"
    )
    typealias Row = (UUID, UUID, UUID, UUID, String, String, String, String, String, String)
    let hash: Data
    let role: String

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
