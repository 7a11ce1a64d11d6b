import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Attacks the inventory tables directly, as each role through the server's login role: queries
/// without any tenant filter, writes aimed at the other reseller's stock and at another company.
final class InventoryIsolationTests: XCTestCase {
    private func setUpTenants() async throws -> (RawSession, SeededTenants) {
        try await SeededTenants.seeded()
    }

    func testResellerSeesAndChangesOnlyItsOwnStock() async throws {
        let (raw, tenants) = try await setUpTenants()
        for table in RawSQLIsolationTests.inventoryTables + ["sb.scheduled_anonymisations"] {
            let seen = try await raw.values("SELECT reseller_id::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(seen.map(Set.init), [tenants.a], "\(table): only reseller A's rows")
        }
        let numbers = try await raw.values("SELECT number FROM sb.stock_numbers ORDER BY number", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(numbers, ["+4511100000", "+4522100000", "+4533100000", "+4544100000", "+4555100000"])
        // B's available number: invisible, so an update changes nothing.
        let taken = try await raw.values(
            "WITH changed AS (UPDATE sb.stock_numbers SET state = 'assigned', use = 'voice', customer_id = '\(tenants.customerA1)' WHERE number = '+4533200000' RETURNING 1) SELECT count(*)::text FROM changed",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(taken, ["0"], "A cannot take B's number")
        let blocked = try await raw.values(
            "WITH changed AS (UPDATE sb.stock_sims SET state = 'stolen', customer_id = '\(tenants.customerB1)' WHERE reseller_id = '\(tenants.b)' RETURNING 1) SELECT count(*)::text FROM changed",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(blocked, ["0"], "A cannot retire B's SIM cards")
        // Stock is created and taken back only by the platform.
        let planted = try await raw.execute(
            "INSERT INTO sb.stock_numbers (reseller_id, number, block_id) VALUES ('\(tenants.a)', '+4566100000', '\(tenants.a)')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(planted.sqlState, "42501", "a reseller cannot mint its own numbers")
        // The platform-wide registries (migration 0021) are the platform's alone.
        for (table, value) in [("number_registry", "number"), ("sim_registry", "iccid")] {
            for role in ["sb_reseller", "sb_customer", "sb_authenticator"] {
                let read = try await raw.execute("SELECT \(value) FROM sb.\(table)", role: role, settings: tenants.resellerSettingsA)
                XCTAssertEqual(read.sqlState, "42501", "\(role) reads \(table)")
            }
            let minted = try await raw.execute("INSERT INTO sb.\(table) (\(value), reseller_id) VALUES ('+4577100000', '\(tenants.a)')",
                                               role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(minted.sqlState, "42501", "a reseller cannot register values in \(table)")
        }
        let dropped = try await raw.execute("DELETE FROM sb.stock_numbers WHERE number = '+4533100000'", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(dropped.sqlState, "42501")
        let moved = try await raw.execute(
            "UPDATE sb.stock_numbers SET reseller_id = '\(tenants.b)' WHERE number = '+4533100000'", role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        // Citus refuses any change of the distribution column before the policy is asked.
        XCTAssertEqual(moved.sqlState, CitusTestCoordinator.shared == nil ? "42501" : "0A000", "stock cannot be handed to another reseller")
        let blocks = try await raw.execute("INSERT INTO sb.number_blocks (reseller_id, id, count, allocated_by) VALUES ('\(tenants.a)', gen_random_uuid(), 1, gen_random_uuid())",
                                           role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(blocks.sqlState, "42501")
    }

    func testManagerSeesUnassignedStockAndOwnCompanyOnly() async throws {
        let (raw, tenants) = try await setUpTenants()
        let numbers = try await raw.values("SELECT number FROM sb.stock_numbers ORDER BY number", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(numbers, ["+4511100000", "+4522100000", "+4533100000", "+4544100000"], "A's unassigned numbers and A1's own; never A2's or B's")
        let sims = try await raw.values("SELECT iccid FROM sb.stock_sims ORDER BY iccid", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(sims, ["8945100000000000001", "8945100000000000011"])
        for table in ["sb.number_blocks", "sb.sim_batches"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_customer", settings: tenants.customerSettingsA1)
            XCTAssertEqual(outcome.sqlState, "42501", "\(table) is the platform's and the reseller's")
        }
        let otherCompany = try await raw.values(
            "WITH changed AS (UPDATE sb.stock_numbers SET state = 'quarantined', use = NULL, customer_id = NULL, quarantined_until = now() WHERE number = '+4555100000' RETURNING 1) SELECT count(*)::text FROM changed",
            role: "sb_customer", settings: tenants.customerSettingsA1
        )
        XCTAssertEqual(otherCompany, ["0"], "A1's manager cannot release A2's number")
        let forA2 = try await raw.execute(
            "UPDATE sb.stock_numbers SET state = 'assigned', use = 'voice', customer_id = '\(tenants.customerA2)' WHERE number = '+4533100000'",
            role: "sb_customer", settings: tenants.customerSettingsA1
        )
        XCTAssertEqual(forA2.sqlState, "42501", "a manager cannot give stock to another company")
        let schedules = try await raw.values("SELECT customer_id::text FROM sb.scheduled_anonymisations", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(schedules, [tenants.customerA1.uuidString.lowercased()])
    }

    func testPlatformSeesStockButNeitherPersonsNorSchedules() async throws {
        let (raw, tenants) = try await setUpTenants()
        let resellers = try await raw.values("SELECT DISTINCT reseller_id::text FROM sb.stock_numbers", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(resellers.map(Set.init), [tenants.a, tenants.b], "the platform allocates to every reseller")
        let changed = try await raw.execute("UPDATE sb.stock_numbers SET state = 'available'", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(changed.sqlState, "42501", "the platform allocates and reclaims; states are the reseller's")
        for table in ["sb.scheduled_anonymisations", "sb.number_assignments", "sb.sim_cards"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_platform", settings: tenants.platformSettings)
            XCTAssertEqual(outcome.sqlState, "42501", "processor-scope \(table) must be denied to sb_platform")
        }
    }

    func testTelephonyAndTheRetentionJobReachNoStock() async throws {
        let (raw, tenants) = try await setUpTenants()
        for role in ["sb_telephony", "sb_retention"] {
            for table in RawSQLIsolationTests.inventoryTables + ["sb.scheduled_anonymisations"] {
                let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: role, settings: tenants.platformSettings)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role) read \(table)")
            }
        }
        // The job learns only which anonymisations are due, through its one function.
        let due = try await raw.values("SELECT employee_id::text FROM sb.due_anonymisations(now() + interval '31 days', 10)", role: "sb_retention")
        XCTAssertEqual(due.map(Set.init), [tenants.employeeA1.uuidString.lowercased(), tenants.employeeB1.uuidString.lowercased()])
        let early = try await raw.values("SELECT employee_id::text FROM sb.due_anonymisations(now(), 10)", role: "sb_retention")
        XCTAssertEqual(early, [])
        let otherRole = try await raw.run("SELECT employee_id::text FROM sb.due_anonymisations(now(), 10)", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(otherRole.sqlState, "42501")
    }
}
