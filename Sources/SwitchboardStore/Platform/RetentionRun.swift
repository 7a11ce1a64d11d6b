import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What one retention run did (or, dry, would do).
public struct RetentionRun: Sendable {
    public var id: Int64
    public var clock: Date
    public var dryRun: Bool
    public var createdPartitions: [String]
    public var droppedPartitions: [String]
    public var droppedRowsEstimate: Int64
    public var purgedBatches: Int
    public var purgedUsageRows: Int
    /// Every rule and maintenance step, in the order they ran.
    public var rules: [RetentionRuleReport]
    /// The whole run, from taking the lock to the last step.
    public var elapsed: Duration
    /// Dropping the detached months' files, in a transaction of its own.
    public var dropElapsed: Duration

    /// The report of `rule`, if it ran.
    public func report(_ rule: String) -> RetentionRuleReport? {
        rules.first { $0.rule == rule }
    }
}
