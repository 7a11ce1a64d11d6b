import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Runs platform.run_retention as sb_retention. Several replicas may call it at once: the
/// function takes a transaction-scoped advisory lock, and a run that cannot get it does nothing.
public struct RetentionRunner: Sendable {
    public enum Trigger: String, Sendable { case job, command }

    let database: ScopedDatabase

    public init(database: ScopedDatabase) {
        self.database = database
    }

    /// Nil when another run holds the lock.
    public func run(clock: Date, dryRun: Bool, trigger: Trigger, logger: Logger) async throws -> RetentionRun? {
        let started = ContinuousClock.now
        let row = try await database.transaction(.retention, logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, clock, dry_run, created_partitions, dropped_partitions, dropped_rows_estimate, purged_batches, purged_usage_rows
                FROM platform.run_retention(\(clock), \(dryRun), \(trigger.rawValue))
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, Date, Bool, [String], [String], Int64, Int, Int).self) { return Optional(row) }
            return nil
        }
        let detached = ContinuousClock.now
        if !dryRun, row != nil {
            try await database.transaction(.retention, logger: logger) { connection in
                try await connection.query("SELECT platform.drop_detached_partitions()", logger: logger)
            }
        }
        guard let row else { return nil }
        return RetentionRun(id: row.0, clock: row.1, dryRun: row.2, createdPartitions: row.3, droppedPartitions: row.4,
                            droppedRowsEstimate: row.5, purgedBatches: row.6, purgedUsageRows: row.7,
                            elapsed: detached - started, dropElapsed: ContinuousClock.now - detached)
    }
}
