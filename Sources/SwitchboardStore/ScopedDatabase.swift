import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Whose eyes a transaction sees the database through.
public enum DatabaseScope: Sendable {
    /// An authenticated request: its role's grants and its tenant's rows.
    case principal(Principal)
    /// Checking one presented credential: only the rows matching that hash or login e-mail are visible.
    case authenticator(credentialHash: String?, loginEmail: String?)
    /// The retention job (server or `switchboard retention run`): may run platform.run_retention, nothing else.
    case retention
}

/// The presented credential is unknown, revoked, expired, or its tenant is no longer active.
public struct AuthenticationFailure: Error {}

/// The one place that opens a request's transaction and switches role and tenant settings.
///
/// Everything is set with `set_config(…, true)`, which is transaction-local: when the transaction
/// ends, the pooled connection is back to the bare `sb_app` login role that can read nothing.
///
/// Every transaction is bounded (``DatabaseDeadlines``): the wait for a pooled connection, each
/// statement (`statement_timeout`, set in the same prepared statement as the scope, so it costs no
/// round trip) and the whole transaction. Past a limit it throws ``DatabaseUnavailable``, and
/// ``DatabaseOutageTracker`` logs the outage once rather than once per request.
public struct ScopedDatabase: Sendable {
    public let client: PostgresClient
    public let deadlines: DatabaseDeadlines
    public let outages: DatabaseOutageTracker
    /// Metrics hook: leases, their wait, and transactions that gave up. Nil records nothing.
    public var poolObserver: (any DatabasePoolObserver)? = nil

    public init(client: PostgresClient, deadlines: DatabaseDeadlines = .init(), outages: DatabaseOutageTracker = .init()) {
        self.client = client
        self.deadlines = deadlines
        self.outages = outages
    }

    public func transaction<T: Sendable>(
        _ scope: DatabaseScope,
        kind: DatabaseDeadlines.Kind = .request,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let kind: DatabaseDeadlines.Kind = if case .retention = scope { .long } else { kind }
        let limit = deadlines.limit(kind)
        return try await bounded(limit, logger: logger) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await Self.enter(scope, statementTimeout: limit, on: connection, logger: logger)
                return try await body(connection)
            }
        }
    }

    /// A request's whole transaction: resolves the presented credential in the authenticator
    /// scope, which switches to the principal's scope for `body` when it matches, so a request
    /// costs one transaction. Throws ``AuthenticationFailure`` for an unknown, revoked or expired credential.
    public func transaction<T: Sendable>(
        presenting credentialHash: String,
        kind credentialKind: CredentialKind?,
        transactionKind: DatabaseDeadlines.Kind = .request,
        logger: Logger,
        _ body: (Principal, PostgresConnection) async throws -> T
    ) async throws -> T {
        let limit = deadlines.limit(transactionKind)
        return try await bounded(limit, logger: logger) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                let authenticator = DatabaseScope.authenticator(credentialHash: credentialHash, loginEmail: nil)
                try await Self.enter(authenticator, statementTimeout: limit, on: connection, logger: logger)
                let credentials = AuthenticationRepository(connection, logger: logger)
                guard let resolved = try await credentials.resolveEnteringScope(hash: credentialHash, kind: credentialKind) else {
                    throw AuthenticationFailure()
                }
                if resolved.keyUseIsStale {
                    // At most once a minute per key: back to the authenticator, whose grant marking it is.
                    try await Self.enter(authenticator, statementTimeout: limit, on: connection, logger: logger)
                    try await credentials.markKeyUsed(hash: credentialHash, kind: credentialKind)
                    try await Self.enter(.principal(resolved.principal), statementTimeout: limit, on: connection, logger: logger)
                }
                return try await body(resolved.principal, connection)
            }
        }
    }

    /// Leases a connection within the connection wait, runs `work` on it, and closes the connection
    /// if `work` overruns `limit` (plus slack for PostgreSQL to report its own statement timeout).
    private func bounded<T: Sendable>(
        _ limit: Duration,
        logger: Logger,
        _ work: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let handoff = ConnectionHandoff()
        let client = client
        let connectionWait = deadlines.connectionWait
        let retryAfter = deadlines.retryAfterSeconds
        let waitStarted = ContinuousClock.now  // metrics hook (poolObserver)
        do {
            let result = try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
                group.addTask {
                    do {
                        try await client.withConnection { connection in await handoff.offer(connection) }
                    } catch {
                        handoff.fail(DatabaseUnavailable(.connectFailed(PostgresErrorDescription.describe(error)), retryAfterSeconds: retryAfter))
                    }
                }
                group.addTask {
                    let clock = ContinuousClock()
                    let waitEnds = clock.now + connectionWait
                    do { try await clock.sleep(until: waitEnds) } catch { return }
                    guard let lentSince = handoff.lentSince else {
                        handoff.fail(DatabaseUnavailable(.noConnection(waited: connectionWait), retryAfterSeconds: retryAfter))
                        return
                    }
                    do { try await clock.sleep(until: lentSince + limit + DatabaseDeadlines.clientSlack) } catch { return }
                    handoff.closeIfStillLent(since: lentSince)
                }
                // Cancelling the group withdraws a lease still waiting in the pool, and stops the watchdog.
                defer { group.cancelAll() }
                let connection = try await handoff.take()
                poolObserver?.connectionLeased(afterWaiting: .now - waitStarted)  // metrics hook
                defer { handoff.giveBack(); poolObserver?.connectionReturned() }  // metrics hook
                return try await work(connection)
            }
            outages.reachable(logger: logger)
            return result
        } catch {
            let error = (error as? PostgresTransactionError).map(Self.unwrap) ?? error
            if let unavailable = Self.unavailability(error, limit: limit, closedByWatchdog: handoff.wasClosedByWatchdog, retryAfter: retryAfter) {
                outages.failed(unavailable, logger: logger)
                poolObserver?.transactionGaveUp(unavailable.cause)  // metrics hook
                throw unavailable
            }
            // Any other failure came from a database that answered.
            outages.reachable(logger: logger)
            throw error
        }
    }

    /// Whether `error` means the database could not serve the transaction (rather than refusing it).
    static func unavailability(_ error: any Error, limit: Duration, closedByWatchdog: Bool, retryAfter: Int) -> DatabaseUnavailable? {
        if let unavailable = error as? DatabaseUnavailable { return unavailable }
        if closedByWatchdog { return DatabaseUnavailable(.overran(limit), retryAfterSeconds: retryAfter) }
        guard let psql = error as? PSQLError else { return nil }
        if let state = psql.serverInfo?[.sqlState] {
            switch state {
            case "57014":  // query_canceled: our statement_timeout
                return DatabaseUnavailable(.statementTimeout(limit), retryAfterSeconds: retryAfter)
            case "57P01", "57P02", "57P03", "53300":  // shutdown, crash, starting up, too many connections
                return DatabaseUnavailable(.connectionLost(PostgresErrorDescription.describe(psql)), retryAfterSeconds: retryAfter)
            case let state where state.hasPrefix("08"):  // connection exceptions
                return DatabaseUnavailable(.connectionLost(PostgresErrorDescription.describe(psql)), retryAfterSeconds: retryAfter)
            default:
                return nil
            }
        }
        switch psql.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return DatabaseUnavailable(.connectionLost(PostgresErrorDescription.describe(psql)), retryAfterSeconds: retryAfter)
        default:
            return nil
        }
    }

    /// Sets role and every setting at once, so nothing of a previous scope survives a switch.
    /// `statement_timeout` rides along in the same statement: bounding every statement costs no round trip.
    private static func enter(_ scope: DatabaseScope, statementTimeout: Duration, on connection: PostgresConnection, logger: Logger) async throws {
        for try await _ in try await connection.execute(EnterScope(Settings(scope), statementTimeout: statementTimeout), logger: logger) {}
    }

    /// Prepared once per connection: every request runs it twice, and it never needs a new plan.
    struct EnterScope: PostgresPreparedStatement {
        static let sql = """
            SELECT set_config('role', $1, true),
                   set_config('sb.principal_id', $2, true),
                   set_config('sb.reseller_id', $3, true),
                   set_config('sb.customer_id', $4, true),
                   set_config('sb.credential_hash', $5, true),
                   set_config('sb.login_email', $6, true),
                   set_config('statement_timeout', $7, true)
            """
        static let bindingDataTypes: [PostgresDataType] = Array(repeating: .text, count: 7)
        typealias Row = Void

        let settings: Settings
        /// Whole milliseconds, PostgreSQL's unit for a bare number.
        let statementTimeoutMilliseconds: String

        init(_ settings: Settings, statementTimeout: Duration) {
            self.settings = settings
            let milliseconds = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
            self.statementTimeoutMilliseconds = String(max(1, milliseconds))
        }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            for value in [settings.role, settings.principalID, settings.resellerID, settings.customerID, settings.credentialHash, settings.loginEmail, statementTimeoutMilliseconds] {
                bindings.append(value)
            }
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Callers handle what their own code threw; the wrapper only says where it happened.
    private static func unwrap(_ error: PostgresTransactionError) -> any Error {
        error.closureError ?? error.beginError ?? error.commitError ?? error
    }

    /// The values of the transaction-local settings; an empty string reads as "not set" in the policies.
    struct Settings {
        var role: String
        var principalID = ""
        var resellerID = ""
        var customerID = ""
        var credentialHash = ""
        var loginEmail = ""

        init(_ scope: DatabaseScope) {
            switch scope {
            case .principal(let principal):
                role = principal.role.databaseRole
                principalID = principal.id.uuidString.lowercased()
                resellerID = principal.resellerID?.uuidString.lowercased() ?? ""
                customerID = principal.customerID?.uuidString.lowercased() ?? ""
            case .authenticator(let hash, let email):
                role = "sb_authenticator"
                credentialHash = hash ?? ""
                loginEmail = email ?? ""
            case .retention:
                role = "sb_retention"
            }
        }
    }
}
