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
    /// The run's own transaction: partitions created, expired months detached (holding each parent's lock), purges.
    public var elapsed: Duration
    /// The second transaction, dropping the detached months: the filesystem freeing their space.
    public var dropElapsed: Duration
}
