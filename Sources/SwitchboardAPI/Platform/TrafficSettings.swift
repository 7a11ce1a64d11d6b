internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Limits of the platform's traffic endpoints, set by the operator.
package struct TrafficSettings: Sendable {
    /// Largest CDR batch body, counted while it streams.
    package var maxBatchBytes: Int
    /// Analytics groups with fewer distinct subscribers are suppressed.
    package var analyticsMinimumSubscribers: Int
    /// Batches ingested at once. Each holds one pooled connection for its COPY and briefly borrows
    /// another to resolve numbers, so this must stay well below the pool size.
    package var concurrentBatches: Int

    package init(maxBatchBytes: Int = 512 << 20, analyticsMinimumSubscribers: Int = 10, concurrentBatches: Int = 4) {
        self.maxBatchBytes = maxBatchBytes
        self.analyticsMinimumSubscribers = analyticsMinimumSubscribers
        self.concurrentBatches = concurrentBatches
    }
}

/// CDR ingest and reads (platform), traffic analytics (platform), usage totals (reseller, manager).
