/// How long a request may wait for the database before it answers 503 instead of hanging.
///
/// PostgresNIO's pool queues a connection request for as long as PostgreSQL stays away (until its
/// circuit breaker trips, after about a minute), and a statement on a connection whose server went
/// silent waits for ever; these limits bound both.
public struct DatabaseDeadlines: Sendable, Equatable {
    /// Longest wait for a pooled connection.
    public var connectionWait: Duration
    /// Longest a request's transaction may hold its connection; also each statement's
    /// `statement_timeout`, so PostgreSQL itself cancels a statement that runs too long.
    public var transaction: Duration
    /// The same for streamed CDR and telemetry batches and the retention job, which legitimately run long.
    public var longTransaction: Duration

    /// Extra time the server gets to report its own statement timeout before the client closes the connection.
    public static let clientSlack: Duration = .seconds(2)

    public init(connectionWait: Duration = .seconds(5), transaction: Duration = .seconds(15), longTransaction: Duration = .seconds(600)) {
        self.connectionWait = connectionWait
        self.transaction = transaction
        self.longTransaction = longTransaction
    }

    /// Which of the two transaction limits applies.
    public enum Kind: Sendable {
        /// An ordinary request.
        case request
        /// A streamed batch or a retention run.
        case long
    }

    package func limit(_ kind: Kind) -> Duration {
        switch kind {
        case .request: transaction
        case .long: longTransaction
        }
    }

    /// What a client is told to wait before retrying: the connection wait, at least a second.
    public var retryAfterSeconds: Int {
        max(1, Int((Double(connectionWait.components.seconds) + Double(connectionWait.components.attoseconds) / 1e18).rounded(.up)))
    }
}
