import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Carries out every automatic rule of ``RetentionPolicy`` at a clock, with the periods declared
/// there, and records a report per rule (`platform.retention_rule_reports`, and each touched
/// reseller's own count in `sb.retention_run_tenants`, read by GET /v1/retention-runs).
///
/// Several replicas may call it at once: the run holds a session-level advisory lock for its
/// whole length, and a run that cannot get it does nothing (nil). Each rule runs in a
/// transaction of its own as sb_retention, whose functions answer tenant ids and counts only.
public struct RetentionRunner: Sendable {
    public enum Trigger: String, Sendable { case job, command }

    /// Maintenance steps that run with the rules, by their report names.
    public enum StepName {
        /// Content stored before sealing existed, sealed with its person's key.
        public static let contentSealing = "content-sealing"
        /// The rewrite of tables an erasure or purge touched (``ErasureVacuum``).
        public static let vacuum = "vacuum"
    }

    static let lockName = "switchboard.retention-run"

    let database: ScopedDatabase
    let purge: TerminatedCustomerPurge
    let sealing: LegacyContentSealing
    /// Nil where no owner connection is available: vacuum requests then wait (and the report says so).
    let vacuum: ErasureVacuum?

    /// - Parameter maintenance: the migrating (owner) user's target, for VACUUM; nil skips it.
    public init(database: ScopedDatabase, vault: ContentVault, quarantine: QuarantineRule, maintenance: DatabaseTarget?) {
        self.database = database
        self.purge = TerminatedCustomerPurge(database: database, vault: vault, quarantine: quarantine)
        self.sealing = LegacyContentSealing(database: database, vault: vault)
        self.vacuum = maintenance.map { ErasureVacuum(target: $0) }
    }

    /// Nil when another run holds the lock.
    public func run(clock: Date, dryRun: Bool, trigger: Trigger, logger: Logger) async throws -> RetentionRun? {
        try await database.whileHolding(lock: Self.lockName, logger: logger) {
            try await runHoldingLock(clock: clock, dryRun: dryRun, trigger: trigger, logger: logger)
        }
    }

    /// What a scheduled tick did.
    public enum ScheduledOutcome: Sendable {
        case ran(RetentionRun)
        /// Another replica holds the lock.
        case notLeader
        /// A scheduled run (by any replica) started within the interval.
        case notDue
    }

    /// The scheduled run: once per `interval` across every replica sharing the database. Under the
    /// lock it runs only when no scheduled run started within the interval by the database's clock.
    public func runIfDue(every interval: Duration, clock: Date, logger: Logger) async throws -> ScheduledOutcome {
        let outcome = try await database.whileHolding(lock: Self.lockName, logger: logger) { () -> ScheduledOutcome in
            let seconds = max(1, interval.components.seconds)
            let due = try await retention(logger) { connection in
                try await connection.query("SELECT platform.retention_job_due(make_interval(secs => \(seconds)::double precision))", logger: logger)
                    .collect().first?.decode(Bool.self) ?? false
            }
            guard due else { return .notDue }
            return .ran(try await runHoldingLock(clock: clock, dryRun: false, trigger: .job, logger: logger))
        }
        return outcome ?? .notLeader
    }

    private func runHoldingLock(clock: Date, dryRun: Bool, trigger: Trigger, logger: Logger) async throws -> RetentionRun {
        let started = ContinuousClock.now
        let runID = try await retention(logger) { connection in
            try await connection.query("SELECT platform.retention_begin(\(clock), \(dryRun), \(trigger.rawValue))", logger: logger)
                .collect().first!.decode(Int64.self)
        }
        var reports: [RetentionRuleReport] = []
        func step(_ rule: String, _ body: () async throws -> RetentionRuleReport) async throws {
            let stepStarted = ContinuousClock.now
            var report = try await body()
            report.rule = rule
            report.elapsed = .now - stepStarted
            try await record(report, run: runID, logger: logger)
            reports.append(report)
        }

        var created: [String] = [], detached: [String] = [], estimate: Int64 = 0
        for (rule, parent, months) in [(RetentionPolicy.RuleName.trafficData, "cdrs", RetentionPeriod.trafficDataMonths),
                                       (RetentionPolicy.RuleName.telemetry, "telemetry_events", RetentionPeriod.telemetryMonths)] {
            try await step(rule) {
                let (made, gone, rows) = try await retention(logger) { connection in
                    try await connection.query(
                        "SELECT created, detached, rows_estimate FROM platform.retention_partitions(\(clock), \(parent), \(RetentionSpan.months(months).intervalText)::interval, \(dryRun))",
                        logger: logger
                    ).collect().first!.decode(([String], [String], Int64).self)
                }
                created += made; detached += gone; estimate += rows
                return RetentionRuleReport(affected: rows, note: gone.isEmpty ? nil : "partitions: \(gone.joined(separator: ", ")) (rows estimated)")
            }
        }
        var batches: Int64 = 0, usageRows: Int64 = 0
        try await step(RetentionPolicy.RuleName.ingestLedger) {
            batches = try await count(logger) { connection in
                try await connection.query(
                    "SELECT platform.retention_ingest_ledger(\(clock), \(RetentionSpan.days(RetentionPeriod.ingestLedgerDays).intervalText)::interval, \(dryRun))",
                    logger: logger
                )
            }
            return RetentionRuleReport(affected: batches)
        }
        try await step(RetentionPolicy.RuleName.bookkeeping) {
            let rows = try await perReseller(logger) { connection in
                try await connection.query("SELECT reseller_id, affected FROM sb.retention_usage_totals(\(clock), \(RetentionPeriod.bookkeepingYears)::integer, \(dryRun))", logger: logger)
            }
            usageRows = rows.values.reduce(0, +)
            // Settlement statements and their notes are bookkeeping of the same age rule (counted as documents, with their lines).
            let statements = try await perReseller(logger) { connection in
                try await connection.query("SELECT reseller_id, affected FROM sb.retention_statements(\(clock), \(RetentionPeriod.bookkeepingYears)::integer, \(dryRun))", logger: logger)
            }
            return RetentionRuleReport(perReseller: rows.merging(statements, uniquingKeysWith: +))
        }
        // Rules that delete tenant rows by age, answering each touched reseller's count.
        let byAge: [(String, PostgresQuery)] = [
            (RetentionPolicy.RuleName.callRecordings,
             "SELECT reseller_id, affected FROM sb.retention_recordings(\(clock), \(RetentionSpan.days(RetentionPeriod.callRecordingDays).intervalText)::interval, \(dryRun))"),
            (RetentionPolicy.RuleName.voicemails,
             "SELECT reseller_id, affected FROM sb.retention_voicemails(\(clock), \(RetentionPeriod.voicemailMaximumDays)::integer, \(dryRun))"),
            (RetentionPolicy.RuleName.sessions,
             "SELECT reseller_id, affected FROM sb.retention_sessions(\(clock), \(RetentionSpan.days(RetentionPeriod.endedSessionDays).intervalText)::interval, \(dryRun))"),
            (RetentionPolicy.RuleName.fraudSignals,
             "SELECT reseller_id, affected FROM sb.retention_fraud_alerts(\(clock), \(RetentionSpan.months(RetentionPeriod.fraudAlertMonths).intervalText)::interval, \(dryRun))"),
        ]
        for (rule, query) in byAge {
            try await step(rule) {
                RetentionRuleReport(perReseller: try await perReseller(logger) { connection in try await connection.query(query, logger: logger) })
            }
        }
        try await step(RetentionPolicy.RuleName.loginAttempts) {
            RetentionRuleReport(affected: try await count(logger) { connection in
                try await connection.query(
                    """
                    SELECT sb.retention_login_attempts(\(clock), \(RetentionSpan.hours(RetentionPeriod.loginFailureHours).intervalText)::interval,
                                                       \(RetentionSpan.days(RetentionPeriod.knownLoginSourceDays).intervalText)::interval, \(dryRun))
                    """,
                    logger: logger
                )
            })
        }
        try await step(RetentionPolicy.RuleName.terminatedCustomers) {
            try await purge.run(clock: clock, dryRun: dryRun, logger: logger)
        }
        try await step(StepName.contentSealing) {
            try await sealing.run(dryRun: dryRun, logger: logger)
        }
        try await step(StepName.vacuum) {
            guard let vacuum else { return RetentionRuleReport(note: "no owner connection here: requests wait for the server's job") }
            return try await vacuum.run(dryRun: dryRun, logger: logger)
        }

        let detachedAt = ContinuousClock.now
        if !dryRun, !detached.isEmpty {
            try await retention(logger) { connection in
                try await connection.query("SELECT platform.drop_detached_partitions()", logger: logger)
            }
        }
        let dropElapsed = ContinuousClock.now - detachedAt
        try await retention(logger) { connection in
            try await connection.query(
                "SELECT platform.retention_finish(\(runID), \(created), \(detached), \(estimate), \(Int(batches))::integer, \(Int(usageRows))::integer)", logger: logger
            )
        }
        return RetentionRun(id: runID, clock: clock, dryRun: dryRun, createdPartitions: created, droppedPartitions: detached,
                            droppedRowsEstimate: estimate, purgedBatches: Int(batches), purgedUsageRows: Int(usageRows), rules: reports,
                            elapsed: .now - started, dropElapsed: dropElapsed)
    }

    private func record(_ report: RetentionRuleReport, run: Int64, logger: Logger) async throws {
        let perReseller = Dictionary(uniqueKeysWithValues: report.perReseller.map { ($0.key.uuidString.lowercased(), $0.value) })
        let json = String(decoding: try JSONSerialization.data(withJSONObject: perReseller, options: [.sortedKeys]), as: UTF8.self)
        let platformRows = report.affected - report.perReseller.values.reduce(0, +)
        let milliseconds = Int(report.elapsed.components.seconds * 1000 + report.elapsed.components.attoseconds / 1_000_000_000_000_000)
        try await retention(logger) { connection in
            try await connection.query(
                "SELECT platform.retention_record(\(run), \(report.rule), \(json)::jsonb, \(platformRows), \(milliseconds)::integer, \(report.note)::text)", logger: logger
            )
        }
    }

    private func retention<T: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.transaction(.retention, logger: logger, body)
    }

    private func count(_ logger: Logger, _ query: @escaping (PostgresConnection) async throws -> PostgresRowSequence) async throws -> Int64 {
        try await retention(logger) { connection in
            try await query(connection).collect().first?.decode(Int64.self) ?? 0
        }
    }

    private func perReseller(_ logger: Logger, _ query: @escaping (PostgresConnection) async throws -> PostgresRowSequence) async throws -> [UUID: Int64] {
        try await retention(logger) { connection in
            var rows: [UUID: Int64] = [:]
            for try await (reseller, affected) in try await query(connection).decode((UUID, Int64).self) { rows[reseller, default: 0] += affected }
            return rows
        }
    }
}
