import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Invariants of the schema itself, so a future table or role cannot quietly skip isolation.
final class CatalogTests: XCTestCase {
    static let applicationRoles = ["sb_app", "sb_platform", "sb_reseller", "sb_customer", "sb_authenticator", "sb_telephony", "sb_retention"]

    /// Tables the migrations declare as holding no tenant data (`-- not tenant data: <table>`).
    static func declaredNonTenantTables() throws -> Set<String> {
        var names = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: TestCluster.migrationsDirectory.path) where file.hasSuffix(".sql") {
            let text = try String(contentsOf: TestCluster.migrationsDirectory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("-- not tenant data:") {
                let rest = line.components(separatedBy: "-- not tenant data:")[1].trimmingCharacters(in: .whitespaces)
                names.insert(String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }))
            }
        }
        return names
    }

    private func strings(_ connection: PostgresConnection, _ sql: PostgresQuery) async throws -> [String] {
        try await connection.query(sql, logger: TestCluster.logger).collect().map { try $0.decode(String.self) }
    }

    func testEveryTableHasForcedRowLevelSecurityOrSaysWhyNot() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let exempt = try Self.declaredNonTenantTables()
        let unprotected = try await database.withAdmin { connection in
            try await self.strings(connection, """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'sb' AND c.relkind IN ('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                """)
        }
        XCTAssertFalse(exempt.isEmpty)
        XCTAssertEqual(Set(unprotected).subtracting(exempt), [], "tables without ENABLE + FORCE ROW LEVEL SECURITY")
        // Whatever a comment says, a table carrying a tenant column is never exempt.
        let tenantColumnsUnprotected = try await database.withAdmin { connection in
            try await self.strings(connection, """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('reseller_id', 'customer_id') AND NOT a.attisdropped
                WHERE n.nspname = 'sb' AND c.relkind IN ('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                """)
        }
        XCTAssertEqual(tenantColumnsUnprotected, [])
    }

    func testNoApplicationRoleIsPrivilegedOrOwnsAnything() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await database.withAdmin { connection in
            let privileged = try await self.strings(connection, """
                SELECT rolname::text FROM pg_roles
                WHERE rolname LIKE 'sb\\_%' AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)
                """)
            XCTAssertEqual(privileged, [], "roles with SUPERUSER, BYPASSRLS, CREATEROLE or CREATEDB")
            let owned = try await self.strings(connection, """
                SELECT c.relname::text FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('sb', 'platform') AND r.rolname = ANY(\(Self.applicationRoles))
                """)
            XCTAssertEqual(owned, [], "relations owned by an application role")
            let ownedFunctions = try await self.strings(connection, """
                SELECT p.proname::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('sb', 'platform') AND r.rolname = ANY(\(Self.applicationRoles))
                """)
            XCTAssertEqual(ownedFunctions, [])
            let inheriting = try await self.strings(connection, "SELECT rolname::text FROM pg_roles WHERE rolname = 'sb_app' AND rolinherit")
            XCTAssertEqual(inheriting, [], "sb_app must be NOINHERIT so it holds no privilege until it switches role")
        }
    }

    /// The platform schema is sealed by privileges: only sb_platform (and the retention job, for
    /// its one function) may use it, no other role holds any grant on its tables or partitions,
    /// and each table says why it has no row-level security.
    func testPlatformSchemaIsSealedFromEveryOtherRole() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let exempt = try Self.declaredNonTenantTables()
        try await database.withAdmin { connection in
            let users = try await self.strings(connection, """
                SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'sb\\_%' AND rolname <> 'sb_owner'
                AND has_schema_privilege(oid, 'platform', 'USAGE') ORDER BY 1
                """)
            XCTAssertEqual(users, ["sb_platform", "sb_retention"])
            let grants = try await self.strings(connection, """
                SELECT c.relname::text || ' to ' || a.grantee::regrole::text
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
                WHERE n.nspname = 'platform' AND a.grantee::regrole::text NOT IN ('sb_owner', 'sb_platform')
                """)
            XCTAssertEqual(grants, [], "grants on platform tables to roles other than sb_platform")
            let partitions = try await self.strings(connection, """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'platform' AND c.relispartition AND c.relacl IS NOT NULL
                """)
            XCTAssertEqual(partitions, [], "partitions are reached only through their parent")
            let tables = try await self.strings(connection, """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                """)
            XCTAssertEqual(Set(tables), ["cdrs", "telemetry_events", "ingest_batches", "retention_runs", "retention_rule_reports", "vacuum_requests",
                                         "destination_prefixes", "fraud_rules", "fraud_rule_overrides", "disclosure_requests"])
            XCTAssertEqual(Set(tables).subtracting(exempt), [], "platform tables must say why they hold no tenant data")
            let executable = try await self.strings(connection, """
                SELECT p.proname::text || ' by ' || a.grantee::regrole::text
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a
                WHERE n.nspname = 'platform' AND a.grantee::regrole::text <> 'sb_owner' ORDER BY 1
                """)
            XCTAssertEqual(executable, ["address_hosts by sb_platform", "drop_detached_partitions by sb_retention", "evaluate_fraud by sb_platform",
                                       "fraud_hits by sb_platform", "fraud_level by sb_platform", "number_holders by sb_platform", "recurring_holdings by sb_platform", "retention_begin by sb_retention",
                                       "retention_finish by sb_retention", "retention_ingest_ledger by sb_retention", "retention_job_due by sb_retention", "retention_partitions by sb_retention",
                                       "retention_record by sb_retention"])
        }
    }

    /// Policies call the setting functions plainly (a subquery cannot be distributed on Citus), and
    /// those functions stay inlinable: plain SQL, stable, no SECURITY DEFINER, no SET clause. Inlined
    /// to `current_setting`, the tenant filter becomes an index condition computed once per scan.
    func testPoliciesCallInlinableSettingFunctions() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await database.withAdmin { connection in
            let policies = try await connection.query(
                "SELECT tablename::text || '.' || policyname::text, coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'sb'",
                logger: TestCluster.logger
            ).collect()
            XCTAssertGreaterThan(policies.count, 10)
            for row in policies {
                let (name, expression) = try row.decode((String, String).self)
                XCTAssertFalse(expression.contains("( SELECT"), "\(name) holds a subquery: \(expression)")
            }
            let functions = try await connection.query("""
                SELECT p.proname::text, l.lanname::text, p.provolatile::text, p.prosecdef, p.proconfig IS NULL
                FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.pronamespace = 'sb'::regnamespace AND p.proname IN ('setting_uuid', 'setting_text', 'setting_hash')
                """, logger: TestCluster.logger).collect()
            XCTAssertEqual(functions.count, 3)
            for row in functions {
                let (name, language, volatility, definer, noSettings) = try row.decode((String, String, String, Bool, Bool).self)
                XCTAssertEqual(language, "sql", name)
                XCTAssertEqual(volatility, "s", name)
                XCTAssertFalse(definer, name)
                XCTAssertTrue(noSettings, name)
            }
        }
    }

    /// The customer list under RLS uses the (reseller_id, id) key, the policy's setting inlined into
    /// the index condition.
    func testCustomerListUnderRowLevelSecurityIsAnIndexScan() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let reseller = UUID()
        try await database.withAdmin { connection in
            try await connection.query("""
                INSERT INTO sb.resellers (id, name) SELECT gen_random_uuid(), 'r' || i FROM generate_series(1, 199) i
                """, logger: TestCluster.logger)
            try await connection.query("INSERT INTO sb.resellers (id, name) VALUES (\(reseller), 'measured')", logger: TestCluster.logger)
            try await connection.query("""
                INSERT INTO sb.customers (reseller_id, id, name)
                SELECT r.id, gen_random_uuid(), 'c' || i FROM sb.resellers r, generate_series(1, 100) i
                """, logger: TestCluster.logger)
            try await connection.query("ANALYZE sb.customers", logger: TestCluster.logger)
        }
        let plan = try await RawSession(database: database).values(
            "EXPLAIN (COSTS OFF) SELECT id FROM sb.customers ORDER BY id LIMIT 51",
            role: "sb_reseller", settings: ["sb.principal_id": UUID().uuidString, "sb.reseller_id": reseller.uuidString]
        ) ?? []
        let text = plan.joined(separator: "\n")
        print("EXPLAIN customer list under RLS (20,000 customers, 200 resellers):\n\(text)")
        XCTAssertTrue(text.contains("Index Scan using customers_pkey") || text.contains("Index Only Scan using customers_pkey"), text)
        XCTAssertTrue(text.contains("Index Cond: (reseller_id = (NULLIF(current_setting('sb.reseller_id'::text, true)"),
                      "the setting function is inlined into the index condition: \(text)")
        XCTAssertFalse(text.contains("Seq Scan"), text)
    }
}
