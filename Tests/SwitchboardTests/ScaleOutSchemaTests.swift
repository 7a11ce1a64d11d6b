import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

/// What the schema and the request path need to run unchanged on a Citus cluster (issue 18),
/// checked on plain PostgreSQL: no policy holds a subquery (Citus refuses to distribute a table
/// that has one), and a request's scope is entered with `SET LOCAL` (forwarded to the workers),
/// which still ends with its transaction and never lets a value escape its quotes.
final class ScaleOutSchemaTests: XCTestCase {
    func testNoPolicyHoldsASubquery() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let (policies, withSubquery, readingSettings) = try await database.withAdmin { connection in
            let row = try await connection.query("""
                SELECT count(*),
                       count(*) FILTER (WHERE qual ~* '\\mselect\\M' OR with_check ~* '\\mselect\\M'),
                       count(*) FILTER (WHERE qual ~ 'setting_(uuid|text|hash)\\(' OR with_check ~ 'setting_(uuid|text|hash)\\(')
                FROM pg_policies WHERE schemaname IN ('sb', 'platform')
                """, logger: TestCluster.logger).collect().first!
            return try row.decode((Int, Int, Int).self)
        }
        XCTAssertGreaterThan(policies, 100)
        XCTAssertEqual(withSubquery, 0, "policies with a subquery cannot be distributed on Citus")
        XCTAssertGreaterThan(readingSettings, 80, "the tenant policies still read the scope's settings")
    }

    /// Citus 13.2 re-creates every shard's policies as permissive, so a restrictive one would
    /// widen access on a cluster (migration 0025 folded them into the permissive ones).
    func testNoPolicyIsRestrictive() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let restrictive = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT schemaname || '.' || tablename || ' ' || policyname FROM pg_policies WHERE permissive = 'RESTRICTIVE'",
                logger: TestCluster.logger
            ).collect().map { try $0.decode(String.self) }
        }
        XCTAssertEqual(restrictive, [])
    }

    /// Citus fills a row's defaults in on the coordinator and names those columns in the INSERT it
    /// sends a shard, which checks the inserter's privilege on each: a role with column-level
    /// INSERT must hold every defaulted column too, or its insert fails on a cluster only (0035).
    func testEveryDefaultedColumnIsInsertableByWhoInsertsTheRow() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let missing = try await database.withAdmin { connection in
            try await connection.query(
                """
                SELECT c.oid::regclass::text || ' ' || r.rolname || ': ' || string_agg(a.attname, ', ' ORDER BY a.attnum)
                FROM pg_class c
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                CROSS JOIN pg_roles r
                WHERE c.relnamespace IN ('sb'::regnamespace, 'platform'::regnamespace) AND c.relkind IN ('r', 'p')
                  AND r.rolname IN ('sb_platform', 'sb_reseller', 'sb_customer', 'sb_telephony', 'sb_authenticator', 'sb_retention')
                  AND has_any_column_privilege(r.rolname, c.oid, 'INSERT')
                  AND NOT has_column_privilege(r.rolname, c.oid, a.attnum, 'INSERT')
                GROUP BY c.oid, r.rolname ORDER BY 1
                """,
                logger: TestCluster.logger
            ).collect().map { try $0.decode(String.self) }
        }
        XCTAssertEqual(missing, [])
    }

    /// The webhook outbox is a co-location group of its own on Citus (0033): no foreign key may tie
    /// it to the tenant tables, or the cluster could not distribute it apart from them.
    func testNoForeignKeyTiesTheWebhookOutboxToTheTenantTables() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let outbox = ["sb.webhook_subscriptions", "sb.webhook_deliveries"]
        let keys = try await database.withAdmin { connection in
            try await connection.query(
                """
                SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text FROM pg_constraint
                WHERE contype = 'f' AND (conrelid::regclass::text = ANY(\(outbox)) OR confrelid::regclass::text = ANY(\(outbox)))
                  AND NOT (conrelid::regclass::text = ANY(\(outbox)) AND confrelid::regclass::text = ANY(\(outbox)))
                """,
                logger: TestCluster.logger
            ).collect().map { try $0.decode(String.self) }
        }
        XCTAssertEqual(keys, [])
        XCTAssertTrue(CitusDistribution.otherDistributions.contains { $0.table == "sb.webhook_subscriptions" && $0.colocateWith == "none" })
        XCTAssertTrue(CitusDistribution.otherDistributions.contains { $0.table == "sb.webhook_deliveries" && $0.colocateWith == "sb.webhook_subscriptions" })
    }

    /// Runs `statements` as the server's login role in one transaction, then reads `after` outside it.
    private func asApplication(_ database: TestDatabase, _ body: (PostgresConnection) async throws -> Void) async throws {
        let configuration = try database.adminTarget.connectionConfiguration(user: DatabaseTarget.applicationRole, password: nil)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 11, logger: TestCluster.logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func testTheScopeIsSetLocallyAndEndsWithTheTransaction() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let reseller = UUID().uuidString.lowercased()
        let hostileEmail = "o'hara'; RESET ROLE; --@example.dk"
        try await asApplication(database) { connection in
            let logger = TestCluster.logger
            try await connection.query("BEGIN", logger: logger)
            try await connection.query(
                "SELECT public.sb_enter_scope('sb_reseller', \(UUID().uuidString.lowercased()), \(reseller), '', '', \(hostileEmail), '1234')",
                logger: logger)
            let inside = try await connection.query("""
                SELECT current_user::text, current_setting('sb.reseller_id'), current_setting('sb.login_email'),
                       current_setting('statement_timeout'), current_setting('citus.propagate_set_commands')
                """, logger: logger).collect().first!
            let (role, scopedReseller, email, timeout, propagation) = try inside.decode((String, String, String, String, String).self)
            XCTAssertEqual(role, "sb_reseller")
            XCTAssertEqual(scopedReseller, reseller)
            XCTAssertEqual(email, hostileEmail, "the value is kept whole, quotes and all")
            XCTAssertEqual(timeout, "1234ms")
            XCTAssertEqual(propagation, "local", "Citus forwards the SET LOCALs to its workers")
            try await connection.query("COMMIT", logger: logger)
            let after = try await connection.query(
                "SELECT current_user::text, coalesce(current_setting('sb.reseller_id', true), ''), current_setting('statement_timeout')",
                logger: logger).collect().first!
            let (roleAfter, resellerAfter, timeoutAfter) = try after.decode((String, String, String).self)
            XCTAssertEqual(roleAfter, DatabaseTarget.applicationRole, "the pooled connection is back to the bare login role")
            XCTAssertEqual(resellerAfter, "")
            XCTAssertNotEqual(timeoutAfter, "1234ms")
        }
    }

    func testTheScopeCannotBecomeARoleTheServerDoesNotHold() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        for role in ["sb_owner", "postgres", "sb_reseller\"; RESET ROLE; --"] {
            try await asApplication(database) { connection in
                let logger = TestCluster.logger
                try await connection.query("BEGIN", logger: logger)
                do {
                    _ = try await connection.query("SELECT public.sb_enter_scope(\(role), '', '', '', '', '', '1000')", logger: logger).collect()
                    XCTFail("entered role \(role)")
                } catch let error as PSQLError {
                    let state = error.serverInfo?[.sqlState] ?? "?"
                    XCTAssertTrue(["42501", "22023", "42704"].contains(state), "\(role): \(state) \(error.serverInfo?[.message] ?? "")")
                }
                try await connection.query("ROLLBACK", logger: logger)
            }
        }
    }
}
