import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Attacks the database layer directly: queries with no tenant filter at all, run as each
/// scope role through the server's own login role, must still see only the caller's rows.
final class RawSQLIsolationTests: XCTestCase {
    /// Tables with a reseller column, and the column holding the tenant.
    static let tenantTables: [(table: String, tenantColumn: String)] = [
        ("sb.resellers", "id"), ("sb.customers", "reseller_id"), ("sb.dpa_acceptances", "reseller_id"),
        ("sb.managers", "reseller_id"), ("sb.reseller_api_keys", "reseller_id"), ("sb.sessions", "reseller_id"),
        ("sb.audit_events", "reseller_id"), ("sb.retention_run_tenants", "reseller_id"),
    ]
    /// Processor scope: customers' employees and everything about them.
    static let directoryTables = ["sb.employees", "sb.employee_preference_history", "sb.number_assignments", "sb.sim_cards",
                                  "sb.fax_to_mail", "sb.employee_content"]
    /// The inventory: the platform's allocation records and each reseller's stock.
    static let inventoryTables = ["sb.number_blocks", "sb.sim_batches", "sb.stock_numbers", "sb.stock_sims"]
    /// Each reseller's brand and its portal hostnames.
    static let brandTables = ["sb.brands", "sb.brand_hostnames"]
    static let allTables = tenantTables.map(\.table) + directoryTables + inventoryTables + brandTables + ["sb.scheduled_anonymisations"]
        + ["sb.platform_api_keys", "sb.telephony_api_keys", "sb.dpa_versions", "sb.audit_chain_heads", "sb.login_throttle", "sb.login_known_sources"]

    private func setUpTenants() async throws -> (RawSession, SeededTenants) {
        try await SeededTenants.seeded()
    }

    func testResellerRoleSeesOnlyItsOwnRowsInEveryTableItMayRead() async throws {
        let (raw, tenants) = try await setUpTenants()
        var readable = 0
        for (table, column) in Self.tenantTables {
            let seen = try await raw.values("SELECT \(column)::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            guard let seen else { continue }  // no privilege at all: also isolation
            readable += 1
            XCTAssertFalse(seen.isEmpty, "\(table): A's own rows are visible")
            XCTAssertEqual(Set(seen), [tenants.a], "\(table): only reseller A's rows")
        }
        XCTAssertEqual(readable, 7, "resellers, customers, dpa_acceptances, managers, reseller_api_keys, retention_run_tenants, audit_events (its own trail, issue 16)")
        for table in Self.directoryTables {
            let seen = try await raw.values("SELECT reseller_id::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(seen.map(Set.init), [tenants.a], "\(table): only reseller A's rows")
        }
        // Tables outside its scope are not merely filtered but forbidden.
        for table in ["sb.sessions", "sb.platform_api_keys", "sb.audit_chain_heads"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(outcome.sqlState, "42501", "\(table) must be denied to sb_reseller")
        }
    }

    func testCustomerRoleSeesOnlyItsOwnCompany() async throws {
        let (raw, tenants) = try await setUpTenants()
        let customers = try await raw.values("SELECT id::text FROM sb.customers", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(customers, [tenants.customerA1.uuidString.lowercased()])
        let managers = try await raw.values("SELECT customer_id::text FROM sb.managers", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(managers, [tenants.customerA1.uuidString.lowercased()])
        for table in Self.directoryTables {
            let seen = try await raw.values("SELECT customer_id::text FROM \(table)", role: "sb_customer", settings: tenants.customerSettingsA1)
            XCTAssertEqual(seen.map(Set.init), [tenants.customerA1.uuidString.lowercased()], "\(table): only company A1's rows")
        }
        let sessions = try await raw.values("SELECT id::text FROM sb.sessions", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(sessions, [tenants.sessionA1.uuidString.lowercased()], "only the manager's own sessions")
        for table in ["sb.resellers", "sb.reseller_api_keys", "sb.dpa_acceptances", "sb.platform_api_keys"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_customer", settings: tenants.customerSettingsA1)
            XCTAssertEqual(outcome.sqlState, "42501", "\(table) must be denied to sb_customer")
        }
        // Its company's own trail (issue 16): readable, but only its entries, and never the hashes.
        let trail = try await raw.values("SELECT DISTINCT customer_id::text FROM sb.audit_events", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(trail, [tenants.customerA1.uuidString.lowercased()])
        let hashes = try await raw.run("SELECT hash::text FROM sb.audit_events", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(hashes.sqlState, "42501")
    }

    func testPlatformRoleSeesMetadataButNoProcessorScopeData() async throws {
        let (raw, tenants) = try await setUpTenants()
        let names = try await raw.values("SELECT name FROM sb.customers ORDER BY name", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(names, ["A1", "A2", "B1"], "tenant metadata of every reseller")
        let cvr = try await raw.run("SELECT cvr FROM sb.customers", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(cvr.sqlState, "42501", "a reseller's business identifiers are not platform metadata")
        for table in ["sb.managers", "sb.sessions"] + Self.directoryTables {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_platform", settings: tenants.platformSettings)
            XCTAssertEqual(outcome.sqlState, "42501", "processor-scope \(table) must be denied to sb_platform")
        }
        let hashes = try await raw.run("SELECT secret_hash::text FROM sb.reseller_api_keys", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(hashes.sqlState, "42501", "no role but the authenticator reads secret hashes")
    }

    func testWithoutSettingsEveryRoleSeesNothing() async throws {
        let (raw, _) = try await setUpTenants()
        for role in ["sb_platform", "sb_reseller", "sb_customer", "sb_authenticator", "sb_telephony"] {
            for table in Self.allTables {
                let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: role)
                switch outcome {
                case .rows(let rows):
                    if table == "sb.dpa_versions" { continue }  // the published agreement versions, the same for everyone
                    XCTAssertEqual(rows.count, 0, "\(role) without settings read \(rows.count) rows of \(table)")
                case .denied(let state, _):
                    XCTAssertEqual(state, "42501")
                }
            }
        }
    }

    /// Failed-login counters (client addresses, e-mail hashes) are reached only through the throttle functions.
    func testNoRoleReadsOrWritesTheLoginThrottleDirectly() async throws {
        let (raw, tenants) = try await setUpTenants()
        let scopes: [(String, [String: String])] = [
            ("sb_platform", tenants.platformSettings), ("sb_reseller", tenants.resellerSettingsA), ("sb_customer", tenants.customerSettingsA1),
            ("sb_authenticator", ["sb.login_email": "a1@x.example"]), ("sb_telephony", ["sb.principal_id": UUID().uuidString]),
        ]
        for (role, settings) in scopes {
            for statement in ["SELECT key FROM sb.login_throttle", "INSERT INTO sb.login_throttle (key) VALUES ('source:x')",
                              "UPDATE sb.login_throttle SET blocked_until = NULL", "DELETE FROM sb.login_throttle",
                              "SELECT key FROM sb.login_known_sources", "INSERT INTO sb.login_known_sources (key) VALUES (repeat('a', 64))",
                              "DELETE FROM sb.login_known_sources"] {
                let outcome = try await raw.execute(statement, role: role, settings: settings)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role): \(statement)")
            }
        }
        let claim = "SELECT sb.claim_login_attempt('x', 'a1@x.example', 5, 5, 900, 10, 2, 120, 3600)::text"
        let byReseller = try await raw.run(claim, role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(byReseller.sqlState, "42501", "only the authenticator may claim a login attempt")
        let byAuthenticator = try await raw.values(claim, role: "sb_authenticator", settings: ["sb.login_email": "a1@x.example"])
        XCTAssertEqual(byAuthenticator, ["0"])
    }

    func testTheLoginRoleAloneReadsNothing() async throws {
        let (raw, _) = try await setUpTenants()
        for table in Self.allTables {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: nil)
            XCTAssertEqual(outcome.sqlState, "42501", "sb_app read \(table) without switching role")
        }
    }

    func testWritingAnotherTenantsRowsFails() async throws {
        let (raw, tenants) = try await setUpTenants()
        let b = tenants.b
        let insertCustomer = try await raw.execute(
            "INSERT INTO sb.customers (reseller_id, id, name) VALUES ('\(b)', gen_random_uuid(), 'planted')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(insertCustomer.sqlState, "42501", "row-level security must refuse a row for B under A's settings")
        let insertKey = try await raw.execute(
            "INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by) VALUES ('\(b)', gen_random_uuid(), 'x', '\\x99', 'x', gen_random_uuid())",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(insertKey.sqlState, "42501")
        let insertAudit = try await raw.execute(
            "INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, action) VALUES ('\(b)', '\(tenants.keyA)', 'api_key', 'x', '\(b)', 'forged')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(insertAudit.sqlState, "42501", "no entries in another tenant's audit chain")
        // Updates and deletes simply cannot see B's rows.
        let updated = try await raw.values(
            "WITH changed AS (UPDATE sb.customers SET name = 'hijacked' WHERE reseller_id = '\(b)' RETURNING id) SELECT count(*)::text FROM changed",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(updated, ["0"])
        let moved = try await raw.execute(
            "UPDATE sb.customers SET reseller_id = '\(b)' WHERE id = '\(tenants.customerA1)'",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        // Citus refuses any change of the distribution column before the policy is asked.
        XCTAssertEqual(moved.sqlState, CitusTestCoordinator.shared == nil ? "42501" : "0A000", "a row cannot be moved into another tenant")
        let employeeForB = try await raw.execute(
            "INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension) VALUES ('\(b)', '\(tenants.customerB1)', gen_random_uuid(), 'Planted', '99')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(employeeForB.sqlState, "42501")
        let employeeForA2 = try await raw.execute(
            "INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension) VALUES ('\(tenants.a)', '\(tenants.customerA2)', gen_random_uuid(), 'Planted', '99')",
            role: "sb_customer", settings: tenants.customerSettingsA1
        )
        XCTAssertEqual(employeeForA2.sqlState, "42501", "a manager cannot write into another company of the same reseller")
        let managerForB = try await raw.execute(
            "INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash) VALUES ('\(b)', '\(tenants.customerB1)', gen_random_uuid(), 'x@y.example', 'X', 'x')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(managerForB.sqlState, "42501")
    }

    func testTheAuditTrailIsAppendOnlyForEveryRole() async throws {
        let (raw, tenants) = try await setUpTenants()
        for (role, settings) in [("sb_reseller", tenants.resellerSettingsA), ("sb_customer", tenants.customerSettingsA1), ("sb_platform", tenants.platformSettings)] {
            for statement in ["UPDATE sb.audit_events SET action = 'x'", "DELETE FROM sb.audit_events", "TRUNCATE sb.audit_events"] {
                let outcome = try await raw.execute(statement, role: role, settings: settings)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role): \(statement)")
            }
        }
    }

    func testTheAuthenticatorSeesOnlyThePresentedCredential() async throws {
        let (raw, tenants) = try await setUpTenants()
        let none = try await raw.values("SELECT id::text FROM sb.reseller_api_keys", role: "sb_authenticator")
        XCTAssertEqual(none, [])
        let presented = try await raw.values(
            "SELECT id::text FROM sb.reseller_api_keys", role: "sb_authenticator", settings: ["sb.credential_hash": tenants.keyASecretHash]
        )
        XCTAssertEqual(presented, [tenants.keyA.uuidString.lowercased()], "exactly the presented key, never a list")
        let login = try await raw.values("SELECT id::text FROM sb.managers", role: "sb_authenticator", settings: ["sb.login_email": "a1@x.example"])
        XCTAssertEqual(login, [tenants.managerA1.uuidString.lowercased()])
        // It may read the status of the company behind that login (to refuse terminated ones), nothing else.
        let status = try await raw.values("SELECT id::text FROM sb.customers", role: "sb_authenticator", settings: ["sb.login_email": "a1@x.example"])
        XCTAssertEqual(status, [tenants.customerA1.uuidString.lowercased()])
        let names = try await raw.run("SELECT name FROM sb.customers", role: "sb_authenticator", settings: ["sb.login_email": "a1@x.example"])
        XCTAssertEqual(names.sqlState, "42501")
        let noLogin = try await raw.values("SELECT id::text FROM sb.resellers", role: "sb_authenticator")
        XCTAssertEqual(noLogin, [])
    }
}

extension RawSession.Outcome {
    var sqlState: String? {
        if case .denied(let state, _) = self { return state }
        return nil
    }
}
