/// Watches ``ScopedDatabase`` lease its pooled connections: the hook the server's metrics use
/// (`ServerMetrics` in SwitchboardAPI), so this module records without knowing any metrics library.
///
/// Called on every transaction's path, so implementations must be cheap and never block.
public protocol DatabasePoolObserver: Sendable {
    /// A transaction got a pooled connection after waiting `waited` for it.
    func connectionLeased(afterWaiting waited: Duration)
    /// The transaction gave its connection back (committed, rolled back or failed).
    func connectionReturned()
    /// The transaction could not be served and answers 503 (``DatabaseUnavailable``).
    func transactionGaveUp(_ cause: DatabaseUnavailable.Cause)
}
