import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

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
    /// Reachable only through a scope: nothing outside this type runs SQL on the bare login role.
    private let client: PostgresClient
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

    /// Runs `body` while this process holds the cluster-wide advisory lock `name`, on a pooled
    /// connection of its own (as the bare login role, which may take advisory locks and nothing
    /// else); nil when another process holds it. Leader election for work that spans several
    /// transactions: if this process dies, its connection closes and the lock goes with it.
    public func whileHolding<T: Sendable>(lock name: String, logger: Logger, _ body: () async throws -> T) async throws -> T? {
        do {
            return try await bounded(deadlines.limit(.long), logger: logger) { connection -> T? in
                let taken = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(name)))", logger: logger)
                    .collect().first?.decode(Bool.self) ?? false
                guard taken else { return nil }
                let outcome: Result<T, any Error>
                do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(name)))", logger: logger)
                switch outcome {
                case .success(let value): return value
                case .failure(let error): throw LockHolderFailure(error: error)
                }
            }
        } catch let passed as LockHolderFailure {
            throw passed.error
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
            // Any other failure came from a database that answered: the outcomes a caller handles
            // (a unique value taken, a version moved on, ...) become ``StoreError``s here.
            outages.reachable(logger: logger)
            throw StoreError.classify(error)
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

    /// The one place a transaction's role and settings are written (``EnterScope``).
    private static func enter(_ scope: DatabaseScope, statementTimeout: Duration, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(EnterScope(ScopeSettings(scope), statementTimeout: statementTimeout).query, logger: logger)
    }

    /// Callers handle what their own code threw; the wrapper only says where it happened.
    private static func unwrap(_ error: PostgresTransactionError) -> any Error {
        error.closureError ?? error.beginError ?? error.commitError ?? error
    }
}

/// What the body of ``ScopedDatabase/whileHolding(lock:logger:_:)`` threw, carried through the
/// lease untouched: its own transactions counted and reported it already.
private struct LockHolderFailure: Error {
    let error: any Error
}
