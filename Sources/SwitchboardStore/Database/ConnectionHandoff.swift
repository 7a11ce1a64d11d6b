import PostgresNIO
import Synchronization

/// Carries a pooled connection from the child task that leases it to the request that uses it.
///
/// PostgresClient has no lease with a deadline, and a request's transaction body cannot move into a
/// child task (it is neither `Sendable` nor escaping). So a child task leases the connection and
/// holds the lease while the request runs its transaction in its own task; a watchdog can then
/// abandon the wait (cancelling the child removes its waiter from the pool's queue: PostgresNIO's
/// `leaseConnection` cancels the request on task cancellation) or close an overrunning connection.
final class ConnectionHandoff: Sendable {
    private enum State {
        case pending
        case requesterWaiting(CheckedContinuation<PostgresConnection, any Error>)
        /// The lease arrived before the requester asked for it.
        case offered(PostgresConnection, holder: CheckedContinuation<Void, Never>)
        case lent(PostgresConnection, since: ContinuousClock.Instant, holder: CheckedContinuation<Void, Never>)
        case failed(any Error)
        case returned
    }

    private let state = Mutex<State>(.pending)
    private let closedByWatchdog = Atomic<Bool>(false)

    /// The requester: the connection, or the error that ended the wait.
    func take() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            let resume: (() -> Void)? = state.withLock { state in
                switch state {
                case .pending:
                    state = .requesterWaiting(continuation)
                    return nil
                case .offered(let connection, let holder):
                    state = .lent(connection, since: .now, holder: holder)
                    return { continuation.resume(returning: connection) }
                case .failed(let error):
                    return { continuation.resume(throwing: error) }
                case .requesterWaiting, .lent, .returned:
                    preconditionFailure("a connection handoff is taken once")
                }
            }
            resume?()
        }
    }

    /// The lease holder: hands `connection` over and suspends until it is given back (cancellation
    /// must not end the lease while the requester is using the connection, so this ignores it).
    func offer(_ connection: PostgresConnection) async {
        await withCheckedContinuation { holder in
            let resume: () -> Void = state.withLock { state in
                switch state {
                case .pending:
                    state = .offered(connection, holder: holder)
                    return {}
                case .requesterWaiting(let requester):
                    state = .lent(connection, since: .now, holder: holder)
                    return { requester.resume(returning: connection) }
                case .failed, .returned:
                    // The requester gave up already: back to the pool at once.
                    return { holder.resume() }
                case .offered, .lent:
                    preconditionFailure("a connection handoff is offered once")
                }
            }
            resume()
        }
    }

    /// Ends the wait with `error` unless the connection was already handed over.
    func fail(_ error: any Error) {
        let resume: (() -> Void)? = state.withLock { state in
            switch state {
            case .pending:
                state = .failed(error)
                return nil
            case .requesterWaiting(let requester):
                state = .failed(error)
                return { requester.resume(throwing: error) }
            case .offered(_, let holder):
                state = .failed(error)
                return { holder.resume() }
            case .lent, .failed, .returned:
                return nil
            }
        }
        resume?()
    }

    /// The requester is done with the connection: the lease ends and the pool gets it back.
    func giveBack() {
        let holder: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard case .lent(_, _, let holder) = state else { return nil }
            state = .returned
            return holder
        }
        holder?.resume()
    }

    /// When the connection was handed over, if it still is.
    var lentSince: ContinuousClock.Instant? {
        state.withLock { state in
            if case .lent(_, let since, _) = state { return since }
            return nil
        }
    }

    /// Closes the connection if it is still lent: a transaction that overran its limit.
    func closeIfStillLent(since expected: ContinuousClock.Instant) {
        let connection: PostgresConnection? = state.withLock { state in
            guard case .lent(let connection, let since, _) = state, since == expected else { return nil }
            return connection
        }
        guard let connection else { return }
        closedByWatchdog.store(true, ordering: .relaxed)
        // The in-flight statement fails at once; the pool sees the connection closed and replaces it.
        let _: EventLoopFuture<Void> = connection.close()
    }

    var wasClosedByWatchdog: Bool { closedByWatchdog.load(ordering: .relaxed) }
}
