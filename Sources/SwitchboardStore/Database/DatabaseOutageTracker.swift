import Logging
import Synchronization

/// Logs a database outage once, when the first request meets it, and its end once, when a
/// transaction succeeds again: many requests failing during one outage must not flood the log.
public final class DatabaseOutageTracker: Sendable {
    private struct Outage {
        var since: ContinuousClock.Instant
        var failedTransactions: Int
    }

    private let current = Mutex<Outage?>(nil)

    public init() {}

    public var isInOutage: Bool { current.withLock { $0 != nil } }

    func failed(_ failure: DatabaseUnavailable, logger: Logger) {
        let isFirst = current.withLock { outage -> Bool in
            if outage == nil {
                outage = Outage(since: .now, failedTransactions: 1)
                return true
            }
            outage!.failedTransactions += 1
            return false
        }
        if isFirst {
            logger.error("database unavailable; answering 503 until it is back (logged once per outage)", metadata: ["cause": "\(failure)"])
        }
    }

    func reachable(logger: Logger) {
        // Cheap when there is no outage: one uncontended lock per transaction.
        guard let ended = current.withLock({ outage -> Outage? in defer { outage = nil }; return outage }) else { return }
        let duration = ContinuousClock.now - ended.since
        logger.notice("database reachable again", metadata: [
            "outage_seconds": "\(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)",
            "failed_transactions": "\(ended.failedTransactions)",
        ])
    }
}
