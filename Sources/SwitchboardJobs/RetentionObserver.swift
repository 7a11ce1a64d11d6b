/// Watches the outcome of each scheduled retention run: the hook the server's metrics use
/// (`ServerMetrics` in SwitchboardAPI), so this module records without knowing any metrics library.
public protocol RetentionObserver: Sendable {
    /// A run ended as `outcome` after `elapsed` (the time spent, whether it acted, failed or skipped).
    func retentionRan(_ outcome: RetentionOutcome, elapsed: Duration)
}

/// How one scheduled retention run ended; the raw value is the metric label.
public enum RetentionOutcome: String, Sendable, CaseIterable {
    /// This replica held the lock and the run committed.
    case ok
    /// The run threw; it changed nothing (one transaction) and the next tick tries again.
    case failed
    /// Another replica holds the retention lock: nothing to do here.
    case skippedNotLeader = "skipped-not-leader"
    /// A replica ran it within the interval: the rules run once per interval across replicas.
    case skippedNotDue = "skipped-not-due"
}
