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

    /// A presented credential that matched.
    public struct ResolvedCredential: Sendable {
        public var principal: Principal
        /// An API key whose `last_used_at` is over a minute old: see ``markKeyUsed(hash:kind:)``.
        public var keyUseIsStale: Bool
        /// A session's end; nil for API keys.
        public var expiresAt: Date?
    }

    /// Looks the credential up in the table its prefix names. Nil for an unknown, revoked or
    /// expired credential, or one whose reseller or company is no longer active.
    public func resolve(hash: String, kind: CredentialKind?) async throws -> ResolvedCredential? {
        let bytes = Data(hexString: hash)
        switch kind {
        case .session:
            for try await row in try await connection.execute(SessionLookup(hash: bytes), logger: logger) {
                return ResolvedCredential(principal: .manager(row.1, reseller: row.2, customer: row.3, session: row.0), keyUseIsStale: false, expiresAt: row.4)
            }
        case .staffSession:
            for try await row in try await connection.execute(StaffSessionLookup(hash: bytes), logger: logger) {
                let duties = Set(row.2.compactMap(PlatformDuty.init(rawValue:)))
                return ResolvedCredential(principal: .staff(row.1, duties: duties, session: row.0), keyUseIsStale: false, expiresAt: row.3)
            }
        case .resellerKey:
            for try await row in try await connection.execute(ResellerKeyLookup(hash: bytes), logger: logger) {
                guard let resellerID = row.1 else { return nil }
                return ResolvedCredential(principal: .resellerKey(row.0, reseller: resellerID), keyUseIsStale: row.2)
            }
        case .telephonyKey:
            for try await row in try await connection.execute(TelephonyKeyLookup(hash: bytes), logger: logger) {
                return ResolvedCredential(principal: .telephonyKey(row.0), keyUseIsStale: row.2)
            }
        case .platformKey, nil:
            for try await row in try await connection.execute(PlatformKeyLookup(hash: bytes), logger: logger) {
                return ResolvedCredential(principal: .platformKey(row.0), keyUseIsStale: row.2)
            }
        }
        return nil
    }

    /// Marks a key used; in the authenticator scope, whose grant this is.
    public func markKeyUsed(hash: String, kind: CredentialKind?) async throws {
        let table: String
        switch kind {
        case .resellerKey: table = "sb.reseller_api_keys"
        case .telephonyKey: table = "sb.telephony_api_keys"
        case .platformKey, nil: table = "sb.platform_api_keys"
        case .session, .staffSession: return  // sessions are not marked used
        }
        try await connection.query(
            "UPDATE \(unescaped: table) SET last_used_at = now() WHERE secret_hash = \(Data(hexString: hash))",
            logger: logger
        )
    }

    /// A person whose e-mail matched a sign-in: a manager (with their tenant) or platform staff.
    public struct LoginCandidate: Sendable {
        public var personID: UUID
        /// Nil for platform staff.
        public var resellerID: UUID?
        public var customerID: UUID?
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

    /// The managers behind `email` whose company and reseller are active, oldest first (ids are time-ordered). Logins are
    /// unique per reseller, so one e-mail may belong to managers of several resellers; at most
    /// `limit` are returned, which bounds the bcrypt work one attempt can cause. `reseller`, when
    /// given, keeps only that reseller's managers (a sign-in through its brand's portal).
    public func loginCandidates(email: String, reseller: UUID? = nil, limit: Int = 4) async throws -> [LoginCandidate] {
        let rows = try await connection.query(
            """
            SELECT m.id, m.reseller_id, m.customer_id, m.password_hash
            FROM sb.managers m
            JOIN sb.customers c ON c.reseller_id = m.reseller_id AND c.id = m.customer_id
            JOIN sb.resellers r ON r.id = m.reseller_id
            WHERE m.email = \(email) AND c.status = 'active' AND r.status = 'active'
              AND (\(reseller)::uuid IS NULL OR m.reseller_id = \(reseller))
            ORDER BY m.id LIMIT \(limit)
            """,
            logger: logger
        )
        var candidates: [LoginCandidate] = []
        for try await row in rows.decode((UUID, UUID, UUID, String).self) {
            candidates.append(LoginCandidate(personID: row.0, resellerID: row.1, customerID: row.2, passwordHash: row.3))
        }
        return candidates
    }

    /// The active member of the platform's staff behind `email`, if any (e-mails are unique among staff).
    public func staffLoginCandidates(email: String) async throws -> [LoginCandidate] {
        let rows = try await connection.query(
            "SELECT id, password_hash FROM sb.platform_staff WHERE email = \(email) AND status = 'active'",
            logger: logger
        )
        var candidates: [LoginCandidate] = []
        for try await row in rows.decode((UUID, String).self) {
            candidates.append(LoginCandidate(personID: row.0, passwordHash: row.1))
        }
        return candidates
    }

    /// The password matched: the claimed attempt was no failure after all.
    public func forgiveLogin(source: String, email: String) async throws {
        try await connection.query("SELECT 1 FROM sb.forgive_login(\(source), \(email))", logger: logger)
    }

    /// A manager's session in their tenant, or a staff member's platform session.
    public func openSession(_ candidate: LoginCandidate, id: UUID, tokenHash: String, expiresAt: Date) async throws {
        let hash = Data(hexString: tokenHash)
        if let reseller = candidate.resellerID, let customer = candidate.customerID {
            try await connection.query(
                """
                INSERT INTO sb.sessions (reseller_id, customer_id, id, manager_id, token_hash, expires_at)
                VALUES (\(reseller), \(customer), \(id), \(candidate.personID), \(hash), \(expiresAt))
                """,
                logger: logger
            )
        } else {
            // Checked and written by the owner (migration 0036): on Citus the row's reference to the
            // staff table needs rights the authenticator does not hold.
            try await connection.query(
                "SELECT sb.open_staff_session(\(id), \(candidate.personID), \(hash), \(expiresAt))",
                logger: logger
            )
        }
    }
}

// The credential lookups run on every cache miss, always as sb_authenticator (so a cached plan
// stays valid): prepared once per connection instead of parsed and planned each time. Each
// selects at most one live credential in the authenticator scope, whose policies show only the
// presented credential's rows. They only read: the principal's scope is entered by
// `ScopedDatabase`, the one place that writes a transaction's settings.

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

/// Key id, reseller id (nil for platform and telephony keys), whether `last_used_at` is stale.
typealias KeyLookupRow = (UUID, UUID?, Bool)

protocol KeyLookup: CredentialLookup where Row == KeyLookupRow {}

extension KeyLookup {
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct ResellerKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, k.reseller_id, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.reseller_api_keys k JOIN sb.resellers r ON r.id = k.reseller_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND r.status = 'active'
        LIMIT 1
        """
    let hash: Data
}

struct PlatformKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.platform_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        LIMIT 1
        """
    let hash: Data
}

struct TelephonyKeyLookup: KeyLookup {
    static let sql = """
        SELECT k.id, NULL::uuid, (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        FROM sb.telephony_api_keys k WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
        LIMIT 1
        """
    let hash: Data
}

/// Session and staff ids, the person's duties and the session's end, for an active person's live
/// session (`sb.presented_staff_session` answers for the hash in the transaction's setting).
struct StaffSessionLookup: CredentialLookup {
    static let sql = "SELECT session_id, staff_id, duties, expires_at FROM sb.presented_staff_session() WHERE $1::bytea IS NOT NULL LIMIT 1"
    typealias Row = (UUID, UUID, [String], Date)
    let hash: Data

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Session, manager, reseller and customer ids and the end of a live session whose company and reseller are active.
struct SessionLookup: CredentialLookup {
    static let sql = """
        SELECT s.id, s.manager_id, s.reseller_id, s.customer_id, s.expires_at FROM sb.sessions s
        JOIN sb.customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
        JOIN sb.resellers r ON r.id = s.reseller_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND c.status = 'active' AND r.status = 'active'
        LIMIT 1
        """
    typealias Row = (UUID, UUID, UUID, UUID, Date)
    let hash: Data

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
