/// The database could not serve a transaction in time; callers answer 503 with `Retry-After`.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable {
        /// No pooled connection within the connection wait (PostgreSQL down, or the pool exhausted).
        case noConnection(waited: Duration)
        /// The pool gave up on connecting (its circuit breaker) or refused the request.
        case connectFailed(String)
        /// The connection broke or PostgreSQL shut it down mid-transaction.
        case connectionLost(String)
        /// PostgreSQL cancelled a statement that ran past `statement_timeout`.
        case statementTimeout(Duration)
        /// The transaction overran its limit without PostgreSQL answering; the client closed the connection.
        case overran(Duration)
    }

    public let cause: Cause
    /// Seconds the client should wait before retrying.
    public let retryAfterSeconds: Int

    public init(_ cause: Cause, retryAfterSeconds: Int) {
        self.cause = cause
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        switch cause {
        case .noConnection(let waited): "no database connection within \(waited)"
        case .connectFailed(let reason): "cannot connect to the database: \(reason)"
        case .connectionLost(let reason): "database connection lost: \(reason)"
        case .statementTimeout(let limit): "a statement ran past the \(limit) statement timeout"
        case .overran(let limit): "the database did not answer within \(limit); connection closed"
        }
    }
}
