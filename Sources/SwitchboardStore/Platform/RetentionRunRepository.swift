import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The retention runs as their readers may see them: a reseller its own count per rule of the
/// runs that touched its data (`sb.retention_run_tenants`, under its row-level policy), the
/// platform every run with each rule's total, the reseller ids and the duration.
public struct RetentionRunRepository: Sendable {
    public struct RunSummary: Sendable, Equatable {
        /// One rule's outcome as its reader may see it: a reseller its own count only (no reseller
        /// ids, duration or notes), the platform the total with all of them.
        public struct RuleOutcome: Sendable, Equatable {
            public var rule: String
            public var affected: Int64
            public var resellerIDs: [UUID]?
            public var elapsed: Duration?
            public var note: String?
        }

        public var id: Int64
        public var clock: Date
        public var dryRun: Bool
        public var startedAt: Date?
        public var finishedAt: Date?
        public var trigger: String?
        public var rules: [RuleOutcome]
    }

    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The runs that touched `resellerID`'s data, newest first, before run `before`.
    public func runs(ofReseller resellerID: UUID, before: Int64?, limit: Int) async throws -> Page<RunSummary, Int64> {
        let rows = try await connection.query(
            """
            WITH runs AS (
                SELECT DISTINCT run_id FROM sb.retention_run_tenants
                WHERE reseller_id = \(resellerID) AND (\(before)::bigint IS NULL OR run_id < \(before))
                ORDER BY run_id DESC LIMIT \(limit + 1)
            )
            SELECT t.run_id, t.clock, t.dry_run, t.ran_at, t.rule, t.affected
            FROM sb.retention_run_tenants t JOIN runs USING (run_id)
            WHERE t.reseller_id = \(resellerID)
            ORDER BY t.run_id DESC, t.rule
            """,
            logger: logger
        )
        var runs: [RunSummary] = []
        for try await (run, clock, dryRun, ranAt, rule, affected) in rows.decode((Int64, Date, Bool, Date, String, Int64).self) {
            if runs.last?.id != run {
                runs.append(RunSummary(id: run, clock: clock, dryRun: dryRun, startedAt: ranAt, finishedAt: nil, trigger: nil, rules: []))
            }
            runs[runs.count - 1].rules.append(.init(rule: rule, affected: affected))
        }
        return Page(fetched: runs, limit: limit) { $0.id }
    }

    /// Every run, newest first, before run `before` (the platform's view).
    public func runs(before: Int64?, limit: Int) async throws -> Page<RunSummary, Int64> {
        let rows = try await connection.query(
            """
            WITH runs AS (
                SELECT * FROM platform.retention_runs WHERE (\(before)::bigint IS NULL OR id < \(before)) ORDER BY id DESC LIMIT \(limit + 1)
            )
            SELECT r.id, r.clock, r.dry_run, r.started_at, r.finished_at, r.trigger, p.rule, p.affected, p.reseller_ids, p.elapsed_ms, p.note
            FROM runs r LEFT JOIN platform.retention_rule_reports p ON p.run_id = r.id
            ORDER BY r.id DESC, p.rule
            """,
            logger: logger
        )
        var runs: [RunSummary] = []
        for try await row in rows.decode((Int64, Date, Bool, Date, Date?, String, String?, Int64?, [UUID]?, Int?, String?).self) {
            if runs.last?.id != row.0 {
                runs.append(RunSummary(id: row.0, clock: row.1, dryRun: row.2, startedAt: row.3, finishedAt: row.4, trigger: row.5, rules: []))
            }
            guard let rule = row.6 else { continue }
            runs[runs.count - 1].rules.append(.init(
                rule: rule, affected: row.7 ?? 0, resellerIDs: row.8 ?? [], elapsed: .milliseconds(row.9 ?? 0), note: row.10
            ))
        }
        return Page(fetched: runs, limit: limit) { $0.id }
    }

    /// The reseller's own voicemail period (nil: the platform's maximum applies).
    public func voicemailRetentionDays(of resellerID: UUID) async throws -> Int? {
        try await connection.query("SELECT voicemail_retention_days FROM sb.resellers WHERE id = \(resellerID)", logger: logger)
            .collect().first?.decode(Int?.self) ?? nil
    }

    public func setVoicemailRetentionDays(_ days: Int, of resellerID: UUID) async throws {
        let rows = try await connection.query(
            "UPDATE sb.resellers SET voicemail_retention_days = \(days), updated_at = now(), version = version + 1 WHERE id = \(resellerID) RETURNING id",
            logger: logger
        ).collect()
        guard !rows.isEmpty else { throw StoreError.notFound }
    }
}
