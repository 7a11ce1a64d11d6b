import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Attacks the brand tables directly, as each role through the server's login role: a reseller
/// reaches only its own brand and cannot verify its own hostnames, the platform reads but never
/// writes a brand, managers and the authenticator read no table and learn a brand only through
/// the portal's function, for a verified hostname.
final class BrandIsolationTests: XCTestCase {
    func testAResellerReadsAndChangesOnlyItsOwnBrand() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        for table in RawSQLIsolationTests.brandTables {
            let seen = try await raw.values("SELECT reseller_id::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(seen.map(Set.init), [tenants.a], "\(table): only A's rows")
        }
        let renamed = try await raw.values(
            "WITH changed AS (UPDATE sb.brands SET display_name = 'Hijacked' WHERE reseller_id = '\(tenants.b)' RETURNING 1) SELECT count(*)::text FROM changed",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(renamed, ["0"], "A cannot rename B's brand")
        let dropped = try await raw.values(
            "WITH gone AS (DELETE FROM sb.brand_hostnames WHERE hostname = 'portal.b.test' RETURNING 1) SELECT count(*)::text FROM gone",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(dropped, ["0"], "A cannot take B's hostname off the air")
        let planted = try await raw.execute(
            "INSERT INTO sb.brand_hostnames (reseller_id, hostname, verification_token) VALUES ('\(tenants.b)', 'planted.b.test', repeat('x', 43))",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(planted.sqlState, "42501", "A cannot claim a hostname in B's name")
        // Verification is the platform's act: not by update, not by inserting a verified row.
        let selfVerified = try await raw.execute(
            "UPDATE sb.brand_hostnames SET verified_at = now(), verified_by = '\(tenants.keyA)', verified_how = 'dns' WHERE hostname = 'portal.a.test'",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(selfVerified.sqlState, "42501")
        let insertedVerified = try await raw.execute(
            "INSERT INTO sb.brand_hostnames (reseller_id, hostname, verification_token, verified_at, verified_by, verified_how) VALUES ('\(tenants.a)', 'sneaky.a.test', repeat('x', 43), now(), '\(tenants.keyA)', 'dns')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(insertedVerified.sqlState, "42501", "a reseller cannot insert a hostname as verified")
        // A hostname is one reseller's, platform-wide: the registry holds it (migration 0021), and a
        // brand hostname must match its registry entry.
        let duplicate = try await raw.execute(
            "INSERT INTO sb.brand_hostnames (reseller_id, hostname, verification_token) VALUES ('\(tenants.a)', 'portal.b.test', repeat('x', 43))",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(duplicate.sqlState, "23503", "the registry names B for that hostname")
        let claimed = try await raw.execute(
            "INSERT INTO sb.hostname_registry (hostname, reseller_id) VALUES ('portal.b.test', '\(tenants.a)')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(claimed.sqlState, "23505")
        let claimedForB = try await raw.execute(
            "INSERT INTO sb.hostname_registry (hostname, reseller_id) VALUES ('fresh.b.test', '\(tenants.b)')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(claimedForB.sqlState, "42501", "A cannot claim a hostname in B's name")
        let seen = try await raw.values("SELECT hostname FROM sb.hostname_registry ORDER BY hostname", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(seen, ["portal.a.test"], "A sees only its own claims")
        let released = try await raw.values(
            "WITH gone AS (DELETE FROM sb.hostname_registry WHERE hostname = 'portal.b.test' RETURNING 1) SELECT count(*)::text FROM gone",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(released, ["0"], "A cannot release B's hostname")
        for role in ["sb_customer", "sb_authenticator"] {
            let read = try await raw.execute("SELECT hostname FROM sb.hostname_registry", role: role, settings: tenants.resellerSettingsA)
            XCTAssertEqual(read.sqlState, "42501", role)
        }
    }

    func testThePlatformReadsBrandsAndVerifiesButChangesNoBrand() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let names = try await raw.values("SELECT display_name FROM sb.brands ORDER BY display_name", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(names, ["Brand A", "Brand B"])
        for statement in ["UPDATE sb.brands SET display_name = 'Platform brand'", "DELETE FROM sb.brands",
                          "UPDATE sb.brand_hostnames SET hostname = 'moved.b.test'", "DELETE FROM sb.brand_hostnames",
                          "INSERT INTO sb.brands (reseller_id, display_name, primary_color, accent_color, default_language) VALUES (gen_random_uuid(), 'x', '#000000', '#000000', 'da')"] {
            let outcome = try await raw.execute(statement, role: "sb_platform", settings: tenants.platformSettings)
            XCTAssertEqual(outcome.sqlState, "42501", statement)
        }
        // It verifies only in its own name.
        let forged = try await raw.execute(
            "UPDATE sb.brand_hostnames SET verified_at = now(), verified_by = '\(UUID())', verified_how = 'platform' WHERE hostname = 'pending.b.test'",
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertEqual(forged.sqlState, "42501", "a verification names the platform principal who made it")
        let verified = try await raw.values(
            "WITH changed AS (UPDATE sb.brand_hostnames SET verified_at = now(), verified_by = '\(tenants.platformKey)', verified_how = 'platform' WHERE hostname = 'pending.b.test' RETURNING 1) SELECT count(*)::text FROM changed",
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertEqual(verified, ["1"])
    }

    func testManagersAndTheAuthenticatorLearnABrandOnlyThroughItsVerifiedHostname() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let scopes: [(String, [String: String])] = [
            ("sb_customer", tenants.customerSettingsA1), ("sb_authenticator", ["sb.login_email": "a1@x.example"]), ("sb_telephony", ["sb.principal_id": UUID().uuidString]),
        ]
        for (role, settings) in scopes {
            for table in RawSQLIsolationTests.brandTables {
                let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: role, settings: settings)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role) reads \(table)")
            }
        }
        for (role, settings) in scopes.prefix(2) {
            let a = try await raw.values("SELECT display_name FROM sb.portal_brand('portal.a.test')", role: role, settings: settings)
            XCTAssertEqual(a, ["Brand A"], role)
            let pending = try await raw.values("SELECT display_name FROM sb.portal_brand('pending.b.test')", role: role, settings: settings)
            XCTAssertEqual(pending, [], "\(role): an unverified hostname selects no brand")
            let unknown = try await raw.values("SELECT display_name FROM sb.portal_brand('nowhere.test')", role: role, settings: settings)
            XCTAssertEqual(unknown, [])
        }
        let telephony = try await raw.run("SELECT display_name FROM sb.portal_brand('portal.a.test')", role: "sb_telephony", settings: ["sb.principal_id": UUID().uuidString])
        XCTAssertEqual(telephony.sqlState, "42501")
        // A suspended reseller's portal goes dark.
        try await raw.database.withAdmin { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "UPDATE sb.resellers SET status = 'suspended' WHERE id = '\(tenants.resellerA)'"), logger: TestCluster.logger)
        }
        let suspended = try await raw.values("SELECT display_name FROM sb.portal_brand('portal.a.test')", role: "sb_authenticator", settings: [:])
        XCTAssertEqual(suspended, [])
    }
}
