import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Raw SQL as every role against the tables of issue 16: cases, forwarded traffic-data parts,
/// receipts, webhooks and their deliveries, and the audit trail's new read policies.
final class DataSubjectRequestIsolationTests: XCTestCase {
    /// Both resellers' rows in every new table, as the superuser.
    static func seeded() async throws -> (RawSession, SeededTenants) {
        let (raw, tenants) = try await SeededTenants.seeded()
        var statements: [String] = []
        for (reseller, customer, employee) in [(tenants.resellerA, tenants.customerA1, tenants.employeeA1), (tenants.resellerB, tenants.customerB1, tenants.employeeB1)] {
            statements += [
                """
                INSERT INTO sb.data_subject_requests (reseller_id, customer_id, id, employee_id, data_right, received_at, due_at, initial_due_at, opened_by, note)
                VALUES ('\(reseller)', '\(customer)', '\(reseller)', '\(employee)', 'access', now(), now() + interval '1 month', now() + interval '1 month', gen_random_uuid(), 'note of \(reseller)')
                """,
                "INSERT INTO sb.traffic_data_requests (reseller_id, id, request_id, numbers, period_from, period_to) VALUES ('\(reseller)', '\(reseller)', '\(reseller)', '{+4511100000}', current_date, current_date)",
                "INSERT INTO sb.receipts (reseller_id, customer_id, id, kind, employee_id, key_id, document, issued_at) VALUES ('\(reseller)', '\(customer)', '\(reseller)', 'anonymisation', '\(employee)', gen_random_uuid(), '{}', now())",
                "INSERT INTO sb.webhook_subscriptions (reseller_id, id, url) VALUES ('\(reseller)', '\(reseller)', 'https://hooks.example/\(reseller)')",
                "INSERT INTO sb.webhook_deliveries (reseller_id, id, subscription_id, event_id, event_type, body, next_attempt_at, created_at) VALUES ('\(reseller)', '\(reseller)', '\(reseller)', gen_random_uuid(), 'receipt.issued', '{}', now(), now())",
            ]
        }
        // A case of A's other company, which A1's manager must not see.
        statements.append("""
            INSERT INTO sb.data_subject_requests (reseller_id, customer_id, id, data_right, received_at, due_at, initial_due_at, opened_by)
            VALUES ('\(tenants.resellerA)', '\(tenants.customerA2)', gen_random_uuid(), 'erasure', now(), now() + interval '1 month', now() + interval '1 month', gen_random_uuid())
            """)
        try await raw.database.withAdmin { connection in
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestCluster.logger) }
        }
        return (raw, tenants)
    }

    static let tables = ["sb.data_subject_requests", "sb.traffic_data_requests", "sb.receipts", "sb.webhook_subscriptions", "sb.webhook_deliveries"]

    func testAResellerSeesAndChangesOnlyItsOwnCasesReceiptsAndWebhooks() async throws {
        let (raw, tenants) = try await Self.seeded()
        for table in Self.tables {
            let seen = try await raw.values("SELECT DISTINCT reseller_id::text FROM \(table)", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(seen, [tenants.a], table)
            let byID = try await raw.values("SELECT count(*)::text FROM \(table) WHERE reseller_id = '\(tenants.b)'", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(byID, ["0"], "\(table): B's rows by id")
        }
        // Writing into B's tenant is refused by the policies; changing B's rows finds none.
        let forged = try await raw.execute("""
            INSERT INTO sb.data_subject_requests (reseller_id, customer_id, id, employee_id, data_right, received_at, due_at, initial_due_at, opened_by)
            VALUES ('\(tenants.b)', '\(tenants.customerB1)', gen_random_uuid(), '\(tenants.employeeB1)', 'erasure', now(), now(), now(), gen_random_uuid())
            """, role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(forged.sqlState, "42501")
        let closed = try await raw.values(
            "WITH c AS (UPDATE sb.data_subject_requests SET state = 'withdrawn', closed_at = now() WHERE reseller_id = '\(tenants.b)' RETURNING 1) SELECT count(*)::text FROM c",
            role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(closed, ["0"])
        let hook = try await raw.execute("INSERT INTO sb.webhook_subscriptions (reseller_id, id, url) VALUES ('\(tenants.b)', gen_random_uuid(), 'https://evil.example/')",
                                         role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(hook.sqlState, "42501", "A cannot subscribe to B's events")
        let replay = try await raw.values(
            "WITH c AS (UPDATE sb.webhook_deliveries SET state = 'pending' WHERE reseller_id = '\(tenants.b)' RETURNING 1) SELECT count(*)::text FROM c",
            role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(replay, ["0"])
        // Receipts are immutable for everyone; a delivery's body and URL cannot be rewritten.
        for statement in ["UPDATE sb.receipts SET document = '{\"forged\":true}'", "DELETE FROM sb.receipts",
                          "UPDATE sb.webhook_deliveries SET body = '{}'", "UPDATE sb.webhook_subscriptions SET url = 'https://evil.example/'"] {
            let outcome = try await raw.execute(statement, role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(outcome.sqlState, "42501", statement)
        }
        // The outbox functions that fan out to any reseller are not the reseller's.
        for call in ["SELECT sb.enqueue_event('\(tenants.b)', 'receipt.issued', '{}', now())::text", "SELECT sb.broadcast_event('receipt.issued', '{}')::text",
                     "SELECT id::text FROM sb.claim_webhook_deliveries(now(), '1 minute', 10)", "SELECT sb.announce_due_requests(now(), '7 days')::text",
                     "SELECT reseller_id::text FROM sb.data_subject_request_counts(now(), '7 days')"] {
            let outcome = try await raw.run(call, role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(outcome.sqlState, "42501", call)
        }
        // Its own event goes only to its own subscriptions, whatever it claims.
        let emitted = try await raw.values("SELECT sb.emit_event('receipt.issued', '{\"resellerId\":\"\(tenants.b)\"}')::text", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(emitted, ["1"])
        let bDeliveries = try await raw.database.integer("SELECT count(*) FROM sb.webhook_deliveries WHERE reseller_id = '\(tenants.b)'")
        XCTAssertEqual(bDeliveries, 1, "nothing was queued for B")
    }

    func testAManagerSeesOnlyItsCompanysCasesAndTheAuditTrailOnlyItsOwnEntries() async throws {
        let (raw, tenants) = try await Self.seeded()
        let cases = try await raw.values("SELECT customer_id::text FROM sb.data_subject_requests", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(cases, [tenants.customerA1.uuidString.lowercased()])
        let parts = try await raw.values("SELECT id::text FROM sb.traffic_data_requests", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(parts, [tenants.a])
        for table in ["sb.webhook_subscriptions", "sb.webhook_deliveries"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_customer", settings: tenants.customerSettingsA1)
            XCTAssertEqual(outcome.sqlState, "42501", "a manager has no webhooks: \(table)")
        }
        let trail = try await raw.values("SELECT DISTINCT reseller_id::text FROM sb.audit_events", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(trail, [tenants.a])
        let hashes = try await raw.run("SELECT hash::text FROM sb.audit_events", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(hashes.sqlState, "42501", "the chain's hashes stay unreadable")
        let resellerTrail = try await raw.values("SELECT DISTINCT reseller_id::text FROM sb.audit_events", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(resellerTrail, [tenants.a])
    }

    func testThePlatformSeesNumbersAndCountsButNoCaseNoReceiptAndNoName() async throws {
        let (raw, tenants) = try await Self.seeded()
        for table in ["sb.data_subject_requests", "sb.receipts", "sb.webhook_subscriptions", "sb.webhook_deliveries"] {
            let outcome = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_platform", settings: tenants.platformSettings)
            XCTAssertEqual(outcome.sqlState, "42501", table)
        }
        let parts = try await raw.values("SELECT numbers::text FROM sb.traffic_data_requests ORDER BY reseller_id", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(parts?.count, 2)
        // Counts per reseller only; no employee, customer or note is reachable through them.
        let counts = try await raw.values("SELECT reseller_id::text || ':' || open FROM sb.data_subject_request_counts(now(), '7 days') ORDER BY 1",
                                          role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(Set(counts ?? []), ["\(tenants.a):2", "\(tenants.b):1"])
        // The platform may answer, not forward or rewrite the reseller's part.
        let rewrite = try await raw.execute("UPDATE sb.traffic_data_requests SET numbers = '{+4599999999}'", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(rewrite.sqlState, "42501")
        let insert = try await raw.execute(
            "INSERT INTO sb.traffic_data_requests (reseller_id, id, request_id, numbers, period_from, period_to) VALUES ('\(tenants.a)', gen_random_uuid(), '\(tenants.a)', '{+4511100000}', current_date, current_date)",
            role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(insert.sqlState, "42501")
        // The platform reads its own trail, not the tenants'.
        let trail = try await raw.values("SELECT count(*)::text FROM sb.audit_events WHERE role <> 'sb_platform'", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(trail, ["0"])
        // Telephony and the retention role reach none of it.
        for table in Self.tables + ["sb.audit_events"] {
            let telephony = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_telephony", settings: [:])
            XCTAssertEqual(telephony.sqlState, "42501", table)
            let job = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_retention", settings: [:])
            XCTAssertEqual(job.sqlState, "42501", table)
        }
    }
}
