import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The platform's fraud configuration: the destination prefix table and the rules' thresholds,
/// with per-reseller overrides (platform scope).
package struct FraudRuleRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    // MARK: prefixes

    package struct Prefix: Sendable, Equatable {
        package let prefix: String
        package let prefixClass: DestinationClassifier.PrefixClass
        package let description: String
    }

    package func prefixes() async throws -> [Prefix] {
        let rows = try await connection.query("SELECT prefix, class, description FROM platform.destination_prefixes ORDER BY prefix", logger: logger)
        var prefixes: [Prefix] = []
        for try await (prefix, kind, description) in rows.decode((String, String, String).self) {
            guard let prefixClass = DestinationClassifier.PrefixClass(rawValue: kind) else { continue }
            prefixes.append(Prefix(prefix: prefix, prefixClass: prefixClass, description: description))
        }
        return prefixes
    }

    /// The classifier a CDR batch is written with: the table as it is when the batch starts.
    package func classifier() async throws -> DestinationClassifier {
        DestinationClassifier(prefixes: try await prefixes().map { ($0.prefix, $0.prefixClass) })
    }

    /// Adds or replaces one prefix; true when it was new.
    package func putPrefix(_ prefix: String, class prefixClass: DestinationClassifier.PrefixClass, description: String) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO platform.destination_prefixes AS p (prefix, class, description, updated_at) VALUES (\(prefix), \(prefixClass.rawValue), \(description), now())
            ON CONFLICT (prefix) DO UPDATE SET class = excluded.class, description = excluded.description, updated_at = excluded.updated_at
            RETURNING (xmax = 0)
            """,
            logger: logger
        )
        for try await created in rows.decode(Bool.self) { return created }
        return false
    }

    package func deletePrefix(_ prefix: String) async throws -> Bool {
        try await connection.query("DELETE FROM platform.destination_prefixes WHERE prefix = \(prefix) RETURNING prefix", logger: logger)
            .collect().isEmpty == false
    }

    // MARK: rules

    package func rules() async throws -> [FraudRuleRecord] {
        var records: [FraudRuleRecord] = []
        for try await row in try await connection.query("SELECT rule, \(unescaped: FraudRuleSetting.columns) FROM platform.fraud_rules", logger: logger) {
            var cells = RowColumns(row)
            guard let rule = FraudRule(rawValue: try cells.next()) else { continue }
            records.append(FraudRuleRecord(rule: rule, setting: try FraudRuleSetting(cells: &cells), overrides: []))
        }
        for try await row in try await connection.query(
            "SELECT rule, reseller_id, \(unescaped: FraudRuleSetting.columns) FROM platform.fraud_rule_overrides ORDER BY reseller_id", logger: logger
        ) {
            var cells = RowColumns(row)
            let rule: String = try cells.next()
            let reseller: UUID = try cells.next()
            let setting = try FraudRuleSetting(cells: &cells)
            if let index = records.firstIndex(where: { $0.rule.rawValue == rule }) {
                records[index].overrides.append(.init(resellerID: reseller, setting: setting))
            }
        }
        return FraudRule.allCases.compactMap { rule in records.first { $0.rule == rule } }
    }

    package func rule(_ rule: FraudRule) async throws -> FraudRuleRecord? {
        try await rules().first { $0.rule == rule }
    }

    package func setDefault(_ rule: FraudRule, to setting: FraudRuleSetting) async throws {
        try await connection.query(
            """
            UPDATE platform.fraud_rules SET enabled = \(setting.enabled), window_minutes = \(setting.windowMinutes)::integer,
                warning_at = \(setting.warningAt)::integer, critical_at = \(setting.criticalAt)::integer,
                warning_cost = \(setting.warningCost.map { "\($0)" })::numeric, critical_cost = \(setting.criticalCost.map { "\($0)" })::numeric,
                short_call_seconds = \(setting.shortCallSeconds)::integer, updated_at = now()
            WHERE rule = \(rule.rawValue)
            """,
            logger: logger
        )
    }

    package func setOverride(_ rule: FraudRule, reseller: UUID, to setting: FraudRuleSetting) async throws {
        try await connection.query(
            """
            INSERT INTO platform.fraud_rule_overrides (rule, reseller_id, enabled, window_minutes, warning_at, critical_at, warning_cost, critical_cost, short_call_seconds, updated_at)
            VALUES (\(rule.rawValue), \(reseller), \(setting.enabled), \(setting.windowMinutes)::integer, \(setting.warningAt)::integer, \(setting.criticalAt)::integer,
                    \(setting.warningCost.map { "\($0)" })::numeric, \(setting.criticalCost.map { "\($0)" })::numeric, \(setting.shortCallSeconds)::integer, now())
            ON CONFLICT (rule, reseller_id) DO UPDATE SET enabled = excluded.enabled, window_minutes = excluded.window_minutes,
                warning_at = excluded.warning_at, critical_at = excluded.critical_at, warning_cost = excluded.warning_cost,
                critical_cost = excluded.critical_cost, short_call_seconds = excluded.short_call_seconds, updated_at = excluded.updated_at
            """,
            logger: logger
        )
    }

    package func deleteOverride(_ rule: FraudRule, reseller: UUID) async throws -> Bool {
        try await connection.query(
            "DELETE FROM platform.fraud_rule_overrides WHERE rule = \(rule.rawValue) AND reseller_id = \(reseller) RETURNING rule", logger: logger
        ).collect().isEmpty == false
    }
}
