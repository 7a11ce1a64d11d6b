import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The dry run: judges one rule over the stored CDRs of a period, at every relevant call, through
/// the same SQL the ingest uses, and reports the alert each number would have reached. Nothing is
/// raised; thresholds to try are applied inside a savepoint that is rolled back.
package struct FraudReplay: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The most calls one replay judges (each is a window look-up).
    package static let maximumCalls = 200_000
    /// The most numbers reported.
    package static let maximumHits = 1_000

    package struct Hit: Sendable, Equatable {
        package let servedNumber: String
        package let resellerID: UUID
        package let customerID: UUID?
        package let level: FraudAlertRecord.Level
        /// When the rule would first have fired.
        package let firstHitAt: Date
        /// The window at the rule's highest level and measure.
        package let windowStart: Date
        package let windowEnd: Date
        package let measure: Int64
        package let calls: Int64
        package let cost: String
    }

    package struct Outcome: Sendable {
        package let judgedCalls: Int
        package let hits: [Hit]
    }

    package struct TooManyCalls: Error {}

    package func replay(_ rule: FraudRule, from: Date, to: Date, reseller: UUID?, trying setting: FraudRuleSetting?) async throws -> Outcome {
        let candidates: PostgresQuery = """
            SELECT \(rule.rawValue)::text AS rule, served_number, reseller_id, customer_id, started_at, coalesce(duration_seconds, 0) AS duration, charge
            FROM platform.cdrs
            WHERE started_at >= \(from) AND started_at < \(to) AND reseller_id IS NOT NULL
              AND (\(reseller)::uuid IS NULL OR reseller_id = \(reseller))
              AND kind = 'call' AND direction = 'outgoing'
              AND CASE \(rule.rawValue)::text
                  WHEN 'high-cost-burst' THEN destination_class IS NOT NULL
                  WHEN 'long-high-cost-call' THEN destination_class IN ('premium-rate', 'high-risk')
                  WHEN 'short-call-flood' THEN duration_seconds <= 60
                  ELSE true END
            LIMIT \(Self.maximumCalls + 1)
            """
        var counting = PostgresQuery(unsafeSQL: "SELECT count(*) FROM (\(candidates.sql)) c")
        counting.binds = candidates.binds
        var judged = 0
        for try await count in try await connection.query(counting, logger: logger).decode(Int.self) { judged = count }
        guard judged <= Self.maximumCalls else { throw TooManyCalls() }

        var judging = PostgresQuery(unsafeSQL: """
            WITH candidates AS (\(candidates.sql)),
            hits AS (
                SELECT h.* FROM (SELECT array_agg(rule) r, array_agg(served_number) n, array_agg(reseller_id) s, array_agg(customer_id) c,
                                        array_agg(started_at) a, array_agg(duration) d, array_agg(charge) g FROM candidates) k,
                     LATERAL platform.fraud_hits(k.r, k.n, k.s, k.c, k.a, k.d, k.g) h
            ), ranked AS (
                SELECT h.*, min(h.window_end) OVER numbers AS first_hit,
                       row_number() OVER (numbers ORDER BY (h.level = 'critical') DESC, h.measure DESC, h.cost DESC, h.window_end) AS place
                FROM hits h WINDOW numbers AS (PARTITION BY h.reseller_id, h.served_number)
            )
            SELECT served_number, reseller_id, customer_id, level, first_hit, window_start, window_end, measure, calls, cost::text
            FROM ranked WHERE place = 1 ORDER BY first_hit, served_number LIMIT \(Self.maximumHits)
            """)
        judging.binds = candidates.binds

        var hits: [Hit] = []
        func run() async throws {
            for try await row in try await connection.query(judging, logger: logger) {
                var cells = RowColumns(row)
                hits.append(Hit(
                    servedNumber: try cells.next(), resellerID: try cells.next(), customerID: try cells.next(),
                    level: FraudAlertRecord.Level(rawValue: try cells.next()) ?? .warning, firstHitAt: try cells.next(),
                    windowStart: try cells.next(), windowEnd: try cells.next(), measure: try cells.next(), calls: try cells.next(), cost: try cells.next()
                ))
            }
        }
        if let setting {
            try await connection.query("SAVEPOINT fraud_dry_run", logger: logger)
            let rules = FraudRuleRepository(connection, logger: logger)
            if let reseller { try await rules.setOverride(rule, reseller: reseller, to: setting) } else { try await rules.setDefault(rule, to: setting) }
            do {
                try await run()
            } catch {
                try await connection.query("ROLLBACK TO SAVEPOINT fraud_dry_run", logger: logger)
                throw error
            }
            try await connection.query("ROLLBACK TO SAVEPOINT fraud_dry_run", logger: logger)
        } else {
            try await run()
        }
        return Outcome(judgedCalls: judged, hits: hits)
    }
}
