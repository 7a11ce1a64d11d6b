import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Raw SQL as every role against the settlement tables (migration 0016): a reseller reads only its
/// own statements, managers none, and nobody — not the platform that issued them, not the owner,
/// not even a superuser — changes or deletes an issued statement; only the bookkeeping rule does.
final class SettlementIsolationTests: XCTestCase {
    static let month = "2026-03-01"

    /// A statement with one line for each of A and B, as the superuser; A's statement has a credit note.
    static func seeded() async throws -> (RawSession, SeededTenants) {
        let (raw, tenants) = try await SeededTenants.seeded()
        var statements: [String] = []
        for (reseller, customer) in [(tenants.resellerA, tenants.customerA1), (tenants.resellerB, tenants.customerB1)] {
            statements += [
                """
                INSERT INTO sb.statements (reseller_id, id, kind, month, currency, net, vat_rate, vat, gross, usage_net, issued_by)
                VALUES ('\(reseller)', '\(reseller)', 'statement', '\(month)', 'DKK', 10.0100, 0.25, 2.50, 12.5100, 10.0100, '\(tenants.platformKey)')
                """,
                """
                INSERT INTO sb.statement_lines (reseller_id, statement_id, line_no, customer_id, category, quantity, unit, billed_minutes, amount, description)
                VALUES ('\(reseller)', '\(reseller)', 1, '\(customer)', 'calls', 3, 'calls', 4, 10.0100, 'Calls')
                """,
            ]
        }
        statements.append("""
            INSERT INTO sb.statements (reseller_id, id, kind, month, corrects_statement_id, reason, currency, net, vat_rate, vat, gross, issued_by)
            VALUES ('\(tenants.resellerA)', gen_random_uuid(), 'credit-note', '\(month)', '\(tenants.resellerA)', 'goodwill', 'DKK', 1, 0.25, 0.25, 1.25, '\(tenants.platformKey)')
            """)
        // One transaction, as an issue is: lines are accepted only with their statement.
        try await raw.database.withAdmin { connection in
            try await connection.query("BEGIN", logger: TestCluster.logger)
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestCluster.logger) }
            try await connection.query("COMMIT", logger: TestCluster.logger)
        }
        return (raw, tenants)
    }

    static let tables = ["sb.statements", "sb.statement_lines"]

    func testAResellerSeesOnlyItsOwnStatementsAndManagersSeeNone() async throws {
        let (raw, tenants) = try await Self.seeded()
        let settingsB = ["sb.principal_id": tenants.keyB.uuidString, "sb.reseller_id": tenants.b]
        for table in Self.tables {
            let seenByA = try await raw.values("SELECT DISTINCT reseller_id::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(seenByA, [tenants.a], table)
            let bAsA = try await raw.values("SELECT count(*)::text FROM \(table) WHERE reseller_id = '\(tenants.b)'", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(bAsA, ["0"], "\(table): B's rows by id, as A")
            let aAsB = try await raw.values("SELECT count(*)::text FROM \(table) WHERE reseller_id = '\(tenants.a)'", role: "sb_reseller", settings: settingsB)
            XCTAssertEqual(aAsB, ["0"], "\(table): A's rows by id, as B")
            let noSetting = try await raw.values("SELECT count(*)::text FROM \(table)", role: "sb_reseller", settings: ["sb.principal_id": tenants.keyA.uuidString])
            XCTAssertEqual(noSetting, ["0"], "\(table): no reseller setting, no rows")
            // Managers have no privilege at all: their reseller bills them itself.
            let manager = try await raw.run("SELECT count(*)::text FROM \(table)", role: "sb_customer", settings: tenants.customerSettingsA1)
            XCTAssertEqual(manager.sqlState, "42501", table)
            let platform = try await raw.values("SELECT count(DISTINCT reseller_id)::text FROM \(table)", role: "sb_platform", settings: tenants.platformSettings)
            XCTAssertEqual(platform, ["2"], "\(table): the issuer sees every reseller's")
        }
        let notesOfA = try await raw.values("SELECT kind FROM sb.statements WHERE kind <> 'statement'", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(notesOfA, ["credit-note"])
        // A reseller cannot issue, even to itself.
        let forged = try await raw.execute("""
            INSERT INTO sb.statements (reseller_id, id, kind, month, currency, net, vat_rate, vat, gross, issued_by)
            VALUES ('\(tenants.a)', gen_random_uuid(), 'statement', '2026-04-01', 'DKK', 0, 0.25, 0, 0, gen_random_uuid())
            """, role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(forged.sqlState, "42501")
    }

    func testNoRoleCanChangeOrDeleteAnIssuedStatement() async throws {
        let (raw, tenants) = try await Self.seeded()
        let roles: [(String?, [String: String])] = [
            ("sb_platform", tenants.platformSettings), ("sb_reseller", tenants.resellerSettingsA), ("sb_customer", tenants.customerSettingsA1),
            ("sb_retention", [:]), ("sb_telephony", ["sb.principal_id": UUID().uuidString]), ("sb_authenticator", [:]),
            // The login role itself, owning nothing and switched to no scope.
            (nil, [:]),
        ]
        let changes = [
            "UPDATE sb.statements SET net = 0, vat = 0, gross = 0 WHERE reseller_id = '\(tenants.a)'",
            "UPDATE sb.statements SET reason = 'rewritten' WHERE kind = 'credit-note'",
            "DELETE FROM sb.statements WHERE reseller_id = '\(tenants.a)'",
            "UPDATE sb.statement_lines SET amount = 0",
            "DELETE FROM sb.statement_lines",
            "TRUNCATE sb.statement_lines",
        ]
        for (role, settings) in roles {
            for change in changes {
                let outcome = try await raw.execute(change, role: role, settings: settings)
                XCTAssertEqual(outcome.sqlState, "42501", "\(role ?? "sb_app"): \(change)")
            }
        }
        // The issuer cannot add a line to a statement issued earlier: lines are written only with it.
        let appended = try await raw.execute("""
            INSERT INTO sb.statement_lines (reseller_id, statement_id, line_no, category, quantity, unit, amount, description)
            VALUES ('\(tenants.a)', '\(tenants.a)', 2, 'adjustment', 1, 'items', 99, 'added later')
            """, role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(appended.sqlState, "42501")
        // Not even the superuser gets past the triggers (a TRUNCATE included).
        for change in changes {
            let outcome = try await raw.database.withAdmin { connection in
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: change), logger: TestCluster.logger)
                    return "changed"
                } catch let error as PSQLError {
                    return error.serverInfo?[.sqlState] ?? "?"
                }
            }
            XCTAssertEqual(outcome, "42501", "superuser: \(change)")
        }
        let unchanged = try await raw.database.integer("SELECT count(*) FROM sb.statements WHERE net = 10.0100 AND gross = 12.5100")
        XCTAssertEqual(unchanged, 2)
        let lines = try await raw.database.integer("SELECT count(*) FROM sb.statement_lines WHERE amount = 10.0100")
        XCTAssertEqual(lines, 2)
    }

    func testTotalsAndNotesAreCheckedByTheDatabase() async throws {
        let (raw, tenants) = try await Self.seeded()
        let cases = [
            // VAT not rounded from the net, or gross not their sum.
            "INSERT INTO sb.statements (reseller_id, id, kind, month, currency, net, vat_rate, vat, gross, issued_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'statement', '2026-05-01', 'DKK', 10, 0.25, 2.51, 12.51, gen_random_uuid())",
            // A second statement for the same month.
            "INSERT INTO sb.statements (reseller_id, id, kind, month, currency, net, vat_rate, vat, gross, issued_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'statement', '\(Self.month)', 'DKK', 0, 0.25, 0, 0, gen_random_uuid())",
            // A note correcting another reseller's statement.
            "INSERT INTO sb.statements (reseller_id, id, kind, month, corrects_statement_id, reason, currency, net, vat_rate, vat, gross, issued_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'debit-note', '\(Self.month)', '\(tenants.b)', 'x', 'DKK', 1, 0.25, 0.25, 1.25, gen_random_uuid())",
            // A note correcting a note.
            "INSERT INTO sb.statements (reseller_id, id, kind, month, corrects_statement_id, reason, currency, net, vat_rate, vat, gross, issued_by) SELECT '\(tenants.a)', gen_random_uuid(), 'debit-note', '\(Self.month)', id, 'x', 'DKK', 1, 0.25, 0.25, 1.25, gen_random_uuid() FROM sb.statements WHERE kind = 'credit-note'",
            // A note without the statement it corrects.
            "INSERT INTO sb.statements (reseller_id, id, kind, month, reason, currency, net, vat_rate, vat, gross, issued_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'credit-note', '\(Self.month)', 'x', 'DKK', 1, 0.25, 0.25, 1.25, gen_random_uuid())",
        ]
        for statement in cases {
            let outcome = try await raw.execute(statement, role: "sb_platform", settings: tenants.platformSettings)
            guard case .denied = outcome else { XCTFail("accepted: \(statement)"); continue }
        }
        let fine = try await raw.execute(
            "INSERT INTO sb.statements (reseller_id, id, kind, month, currency, net, vat_rate, vat, gross, issued_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'statement', '2026-05-01', 'DKK', 0.0590, 0.25, 0.01, 0.0690, gen_random_uuid())",
            role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(fine, .rows([]), "VAT 0.01475 is 0.01 to the øre")
    }

    func testOnlyTheBookkeepingRuleDeletesStatementsAndThePlatformLearnsCountsOnly() async throws {
        let (raw, tenants) = try await Self.seeded()
        // The platform's only window into the directory: counts per customer.
        let holdings = try await raw.run(
            "SELECT customer_id::text || ':' || numbers || ':' || sims FROM platform.recurring_holdings('\(tenants.a)', date_trunc('month', now())::date)",
            role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(holdings, .rows([["\(tenants.customerA1.uuidString.lowercased()):1:1"]]))
        let columns = try await raw.database.integer(
            "SELECT count(*) FROM pg_proc p, unnest(p.proargnames) a WHERE p.proname = 'recurring_holdings' AND a NOT IN ('reseller', 'month')")
        XCTAssertEqual(columns, 3, "customer_id, numbers and sims: nothing about a person")
        for role in ["sb_reseller", "sb_customer"] {
            let refused = try await raw.run("SELECT count(*)::text FROM platform.recurring_holdings('\(tenants.a)', '2026-03-01')", role: role,
                                            settings: tenants.resellerSettingsA)
            XCTAssertEqual(refused.sqlState, "42501", role)
        }
        // The event function announces only what this transaction issued: no replays to any reseller.
        let replay = try await raw.values("SELECT sb.announce_statement('\(tenants.b)')::text", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(replay, ["0"])
        let asReseller = try await raw.run("SELECT sb.announce_statement('\(tenants.a)')::text", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(asReseller.sqlState, "42501")

        // Not yet 5 years past the end of 2026: kept. Past it: gone, with lines and notes, per reseller.
        let kept = try await raw.values("SELECT coalesce(sum(affected), 0)::text FROM sb.retention_statements('2031-12-31T23:59:59Z', 5, false)", role: "sb_retention")
        XCTAssertEqual(kept, ["0"])
        // Committed this time, as the retention job's role.
        let gone = try await raw.database.withAdmin { connection in
            try await connection.query("SET ROLE sb_retention", logger: TestCluster.logger)
            let rows = try await connection.query("SELECT reseller_id::text, affected::int FROM sb.retention_statements('2032-01-01T00:00:00Z', 5, false)", logger: TestCluster.logger)
                .collect().map { try $0.decode((String, Int).self) }
            try await connection.query("RESET ROLE", logger: TestCluster.logger)
            return rows
        }
        var perReseller: [String: Int] = [:]
        for (reseller, affected) in gone { perReseller[reseller, default: 0] += affected }
        XCTAssertEqual(perReseller, [tenants.a: 2, tenants.b: 1])
        let left = try await raw.database.integer("SELECT (SELECT count(*) FROM sb.statements) + (SELECT count(*) FROM sb.statement_lines)")
        XCTAssertEqual(left, 0)
        let direct = try await raw.run("SELECT count(*)::text FROM sb.retention_statements('2040-01-01', 5, false)", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(direct.sqlState, "42501", "only the retention job runs the rule")
    }
}
