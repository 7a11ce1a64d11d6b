import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Attacks the retention tables and functions as each role through the server's login role: a
/// reseller reads only its own run counts, sets only its own voicemail period, cannot start,
/// undo or run a purge, and no application role runs a rule.
final class RetentionIsolationTests: XCTestCase {
    func testAResellerReadsOnlyItsOwnRunCountsAndForgesNone() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let seen = try await raw.values("SELECT reseller_id::text FROM sb.retention_run_tenants", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(seen, [tenants.a])
        let platform = try await raw.values("SELECT reseller_id::text FROM sb.retention_run_tenants ORDER BY 1", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(platform.map { Set($0) }, Set([tenants.a, tenants.b]))
        let byManager = try await raw.run("SELECT 1::text FROM sb.retention_run_tenants", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(byManager.sqlState, "42501")
        let forged = try await raw.execute(
            "INSERT INTO sb.retention_run_tenants (reseller_id, run_id, rule, affected, dry_run, clock) VALUES ('\(tenants.a)', 1, 'x', 0, false, now())",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(forged.sqlState, "42501", "a reseller cannot write the job's record")
        for table in ["platform.retention_rule_reports", "platform.vacuum_requests"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(outcome.sqlState, "42501", table)
        }
    }

    func testAResellerSetsOnlyItsOwnVoicemailPeriodAndNothingElseOfItsRow() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let own = try await raw.values(
            "WITH c AS (UPDATE sb.resellers SET voicemail_retention_days = 30 WHERE id = '\(tenants.a)' RETURNING 1) SELECT count(*)::text FROM c",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(own, ["1"])
        let other = try await raw.values(
            "WITH c AS (UPDATE sb.resellers SET voicemail_retention_days = 1 WHERE id = '\(tenants.b)' RETURNING 1) SELECT count(*)::text FROM c",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(other, ["0"], "A cannot shorten B's voicemails")
        let renamed = try await raw.execute("UPDATE sb.resellers SET name = 'Renamed', status = 'active' WHERE id = '\(tenants.a)'",
                                            role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(renamed.sqlState, "42501", "only the voicemail period is the reseller's to change")
        let byManager = try await raw.execute("UPDATE sb.resellers SET voicemail_retention_days = 1", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(byManager.sqlState, "42501")
    }

    func testNoApplicationRoleStartsUndoesOrRunsAPurgeOrARule() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let database = raw.database
        // A reseller may neither mark its customer purged nor un-mark one the job started.
        let marked = try await raw.execute("UPDATE sb.customers SET status = 'terminated', terminated_at = now(), purge_started_at = now() WHERE id = '\(tenants.customerA2)'",
                                           role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(marked.sqlState, "42501")
        try await database.admin("UPDATE sb.customers SET status = 'terminated', terminated_at = now() - interval '40 days' WHERE id = '\(tenants.customerA2)'")
        try await database.withAdmin { connection in
            try await connection.query("SET ROLE sb_owner", logger: TestCluster.logger)
            try await connection.query("UPDATE sb.customers SET purge_started_at = now() WHERE id = \(tenants.customerA2)", logger: TestCluster.logger)
        }
        for undo in ["UPDATE sb.customers SET status = 'active', terminated_at = NULL WHERE id = '\(tenants.customerA2)'",
                     "UPDATE sb.customers SET purge_started_at = NULL WHERE id = '\(tenants.customerA2)'"] {
            let outcome = try await raw.execute(undo, role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(outcome.sqlState, "55000", undo)
        }
        // The purge's last step refuses another reseller's customer, and a customer not in purge.
        let foreign = try await raw.run("SELECT item FROM sb.retention_purge_customer('\(tenants.b)', '\(tenants.customerB1)', now())",
                                        role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(foreign.sqlState, "42501")
        let early = try await raw.run("SELECT item FROM sb.retention_purge_customer('\(tenants.a)', '\(tenants.customerA1)', now())",
                                      role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(early.sqlState, "55000", "A1 was never terminated")
        let byManager = try await raw.run("SELECT item FROM sb.retention_purge_customer('\(tenants.a)', '\(tenants.customerA2)', now())",
                                          role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(byManager.sqlState, "42501")
        // The rules are the job's: no request role runs one, or learns whose data is due.
        let rules = [
            "SELECT reseller_id::text FROM sb.retention_recordings(now(), '1 day', true)",
            "SELECT reseller_id::text FROM sb.retention_voicemails(now(), 1, true)",
            "SELECT customer_id::text FROM sb.retention_customers_due(now(), '1 day', 10)",
            "SELECT employee_id::text FROM sb.retention_start_customer_purge('\(tenants.a)', '\(tenants.customerA2)', now(), '1 day')",
            "SELECT id::text FROM sb.retention_unsealed_content(10)",
            "SELECT sb.retention_unsealed_bytes('\(tenants.b)', gen_random_uuid())::text",
            "SELECT sb.retention_seal_content('\(tenants.a)', gen_random_uuid(), '\\x00')::text",
            "SELECT sb.retention_sessions(now(), '1 day', true)::text",
        ]
        for role in ["sb_platform", "sb_reseller", "sb_customer", "sb_authenticator", "sb_telephony"] {
            for rule in rules {
                let outcome = try await raw.run(rule, role: role, settings: role == "sb_platform" ? tenants.platformSettings : tenants.resellerSettingsA)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role): \(rule)")
            }
        }
        let probe = try await raw.run("SELECT sb.content_owner_exists('\(tenants.employeeB1)')::text", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(probe.sqlState, "42501", "only the telephony side asks whether a person exists")
    }
}
