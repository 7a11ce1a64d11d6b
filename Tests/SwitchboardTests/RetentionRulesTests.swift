import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Every rule of the retention policy fires on its day and not a second before, judged by a fake
/// clock across month ends and leap days, and reports what it did to the resellers it touched.
final class RetentionRulesTests: XCTestCase {
    private static func exists(_ database: TestDatabase, content id: String) async throws -> Bool {
        try await database.integer("SELECT count(*)::int FROM sb.employee_content WHERE id = '\(id)'") == 1
    }

    func testCallRecordingsGoNinetyDaysAfterTheRecordingAcrossALeapDayAndAMonthEnd() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["manager"]!.id
            let leap = try await world.storeContent("recording", "leap", for: employee, client)
            let monthEnd = try await world.storeContent("recording", "month end", for: employee, client)
            let voicemail = try await world.storeContent("voicemail", "not a recording", for: employee, client)
            try await database.admin("UPDATE sb.employee_content SET recorded_at = '2028-02-15T12:00:00Z' WHERE id IN ('\(leap)', '\(voicemail)')")
            try await database.admin("UPDATE sb.employee_content SET recorded_at = '2027-11-30T08:00:00Z' WHERE id = '\(monthEnd)'")
            // 30 November + 90 days is 28 February (a common year); 15 February 2028 + 90 days is 15 May (29 days in that February).
            var run = try await database.runRetention(at: instant("2028-02-28T07:59:59Z"))
            XCTAssertEqual(run.report(RetentionPolicy.RuleName.callRecordings)?.affected, 0)
            let kept = try await Self.exists(database, content: monthEnd)
            XCTAssertTrue(kept, "a second before its 90 days")
            run = try await database.runRetention(at: instant("2028-02-28T08:00:00Z"))
            XCTAssertEqual(run.report(RetentionPolicy.RuleName.callRecordings)?.affected, 1)
            XCTAssertEqual(run.report(RetentionPolicy.RuleName.callRecordings)?.perReseller, [UUID(uuidString: world.resellerA)!: 1])
            let gone = try await Self.exists(database, content: monthEnd)
            XCTAssertFalse(gone, "on its day")
            run = try await database.runRetention(at: instant("2028-05-15T11:59:59Z"))
            let leapKept = try await Self.exists(database, content: leap)
            XCTAssertTrue(leapKept)
            run = try await database.runRetention(at: instant("2028-05-15T12:00:00Z"))
            let leapGone = try await Self.exists(database, content: leap)
            XCTAssertFalse(leapGone)
            let voicemailKept = try await Self.exists(database, content: voicemail)
            XCTAssertTrue(voicemailKept, "the recordings rule leaves voicemails to their own")
        }
    }

    func testVoicemailsFollowTheResellersOwnSettingBoundedByThePlatformMaximum() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["manager"]!.id
            // Until set, the platform's maximum (365 days): 1 March 2027 + 365 days is 29 February 2028.
            let yearly = try await world.storeContent("voicemail", "kept a year", for: employee, client)
            try await database.admin("UPDATE sb.employee_content SET recorded_at = '2027-03-01T00:00:00Z' WHERE id = '\(yearly)'")
            let policy = try await client.call(.get, "/v1/retention-policy", token: world.resellerAKey)
            let voicemailRule = (try policy.json["rules"] as? [[String: Any]])?.first { $0["name"] as? String == "voicemails" }
            XCTAssertEqual((voicemailRule?["keptFor"] as? [String: Any])?["amount"] as? Int, 365)
            _ = try await database.runRetention(at: instant("2028-02-28T23:59:59Z"))
            let kept = try await Self.exists(database, content: yearly)
            XCTAssertTrue(kept)
            _ = try await database.runRetention(at: instant("2028-02-29T00:00:00Z"))
            let gone = try await Self.exists(database, content: yearly)
            XCTAssertFalse(gone, "on the leap day, 365 days after")

            // A reseller may keep them shorter, never longer than the maximum.
            for refused in ["0", "366", "-1"] {
                let reply = try await client.call(.put, "/v1/retention-policy/voicemails", token: world.resellerAKey, json: #"{"retentionDays":\#(refused)}"#)
                XCTAssertTrue([400, 422].contains(reply.status.code), "\(refused): \(reply.status.code)")
            }
            let set = try await client.call(.put, "/v1/retention-policy/voicemails", token: world.resellerAKey, json: #"{"retentionDays":30}"#)
            XCTAssertEqual(set.status, .ok, set.body)
            XCTAssertTrue(set.body.contains(#""amount":30"#), set.body)
            let forbidden = try await client.call(.put, "/v1/retention-policy/voicemails", token: world.platformKey, json: #"{"retentionDays":30}"#)
            XCTAssertEqual(forbidden.status, .forbidden)
            // 31 January 2027 + 30 days is 2 March 2027.
            let monthly = try await world.storeContent("voicemail", "kept a month", for: employee, client)
            try await database.admin("UPDATE sb.employee_content SET recorded_at = '2027-01-31T10:00:00Z' WHERE id = '\(monthly)'")
            _ = try await database.runRetention(at: instant("2027-03-02T09:59:59Z"))
            let monthlyKept = try await Self.exists(database, content: monthly)
            XCTAssertTrue(monthlyKept)
            let run = try await database.runRetention(at: instant("2027-03-02T10:00:00Z"))
            let monthlyGone = try await Self.exists(database, content: monthly)
            XCTAssertFalse(monthlyGone)
            XCTAssertEqual(run.report(RetentionPolicy.RuleName.voicemails)?.perReseller[UUID(uuidString: world.resellerA)!], 1)
            let audited = try await database.integer("SELECT count(*)::int FROM sb.audit_events WHERE action = 'retention.voicemails' AND reseller_id = '\(world.resellerA)'")
            XCTAssertEqual(audited, 1)
        }
    }

    func testATerminatedCustomerIsPurgedThirtyDaysLaterAndCanBeReactivatedOnlyUntilThen() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let customer = world.customerA1
            let employee = world.employees["manager"]!.id
            let recording = try await world.storeContent("recording", "a recording", for: employee, client)
            _ = recording
            let keyStore = try await database.keyStore()
            let keyBefore = try await keyStore.existingDataKey(for: UUID(uuidString: employee)!)
            XCTAssertNotNil(keyBefore, "content was sealed with the person's key")

            // Terminated (its managers' sessions end for good), reactivated (audited), terminated again.
            let signedIn = try await client.call(.get, "/v1/me", token: world.managerA1Token)
            XCTAssertEqual(signedIn.status, .ok)
            let answered = try await client.call(.post, "/v1/customers/\(customer)/terminate", token: world.resellerAKey)
            XCTAssertEqual(answered.status, .ok, answered.body)
            let reactivated = try await client.call(.post, "/v1/customers/\(customer)/reactivate", token: world.resellerAKey)
            XCTAssertEqual(reactivated.status, .ok, reactivated.body)
            XCTAssertEqual(try reactivated.string("status"), "active")
            XCTAssertNil(try reactivated.json["terminatedAt"])
            let oldSession = try await client.call(.get, "/v1/me", token: world.managerA1Token)
            XCTAssertEqual(oldSession.status, .unauthorized, "a session the termination ended stays ended")
            let fresh = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(fresh.status, .created, "the manager signs in again after the reactivation")
            let byOther = try await client.call(.post, "/v1/customers/\(customer)/reactivate", token: world.resellerBKey)
            XCTAssertEqual(byOther.status, .notFound, "another reseller's customer does not exist for B")
            let terminated = try await client.call(.post, "/v1/customers/\(customer)/terminate", token: world.resellerAKey)
            XCTAssertNotNil(try terminated.json["purgeAfter"])
            // 15 February 2028 + 30 days is 16 March (29 days in that February).
            try await database.admin("UPDATE sb.customers SET terminated_at = '2028-02-15T09:00:00Z' WHERE id = '\(customer)'")
            var run = try await database.runRetention(at: instant("2028-03-16T08:59:59Z"))
            XCTAssertNil(run.report(RetentionPolicy.RuleName.terminatedCustomers)?.perReseller[UUID(uuidString: world.resellerA)!])
            let stillThere = try await database.integer("SELECT count(*)::int FROM sb.employees WHERE customer_id = '\(customer)'")
            XCTAssertEqual(stillThere, 2)

            run = try await database.runRetention(at: instant("2028-03-16T09:00:00Z"))
            let report = run.report(RetentionPolicy.RuleName.terminatedCustomers)
            XCTAssertGreaterThan(report?.perReseller[UUID(uuidString: world.resellerA)!] ?? 0, 0)
            XCTAssertNil(report?.perReseller[UUID(uuidString: world.resellerB)!])
            for (table, column) in [("sb.employees", "customer_id"), ("sb.managers", "customer_id"), ("sb.sessions", "customer_id"),
                                    ("sb.employee_content", "customer_id"), ("sb.employee_preference_history", "customer_id"),
                                    ("sb.fax_to_mail", "customer_id"), ("sb.scheduled_anonymisations", "customer_id")] {
                let left = try await database.integer("SELECT count(*)::int FROM \(table) WHERE \(column) = '\(customer)'")
                XCTAssertEqual(left, 0, "\(table) after the purge")
            }
            let linked = try await database.integer("SELECT count(*)::int FROM sb.number_assignments WHERE customer_id = '\(customer)' AND employee_id IS NOT NULL")
            XCTAssertEqual(linked, 0, "numbers keep their history for CDR attribution, without the person")
            let history = try await database.integer("SELECT count(*)::int FROM sb.number_assignments WHERE customer_id = '\(customer)'")
            XCTAssertGreaterThan(history, 0)
            let held = try await database.integer("SELECT count(*)::int FROM sb.stock_numbers WHERE customer_id = '\(customer)'")
            XCTAssertEqual(held, 0, "the customer's numbers are back in the reseller's stock")
            let company = try await client.call(.get, "/v1/customers/\(customer)", token: world.resellerAKey)
            XCTAssertEqual(try company.string("name"), "A1 ApS", "the company row keeps what bookkeeping needs")
            XCTAssertNotNil(try company.json["purgedAt"])
            do {
                _ = try await keyStore.existingDataKey(for: UUID(uuidString: employee)!)
                XCTFail("the person's content key survived the purge")
            } catch KeyStoreError.destroyed {}
            let audited = try await database.integer("SELECT count(*)::int FROM sb.audit_events WHERE action = 'customer.purge' AND target_id = '\(customer)'")
            XCTAssertEqual(audited, 1)

            // After the purge nothing comes back: not by the API, not by raw SQL as the reseller.
            let late = try await client.call(.post, "/v1/customers/\(customer)/reactivate", token: world.resellerAKey)
            XCTAssertEqual(late.status, .conflict, late.body)
            XCTAssertTrue(late.body.contains("customer-purged"), late.body)
            let login = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(login.status, .unauthorized)
            // The other reseller saw nothing of it; A sees the run with its own count.
            let runsA = try await client.call(.get, "/v1/retention-runs", token: world.resellerAKey)
            XCTAssertTrue(runsA.body.contains("terminated-customers"), runsA.body)
            let runsB = try await client.call(.get, "/v1/retention-runs", token: world.resellerBKey)
            XCTAssertFalse(runsB.body.contains("terminated-customers"), runsB.body)
            XCTAssertFalse(runsB.body.contains(world.resellerA), "B never learns A's id")
            // The platform sees every run, each rule with the resellers it touched and its duration.
            let runsPlatform = try await client.call(.get, "/v1/retention-runs?limit=1", token: world.platformKey)
            let latest = try XCTUnwrap((try runsPlatform.json["items"] as? [[String: Any]])?.first)
            let purgeRule = try XCTUnwrap((latest["rules"] as? [[String: Any]])?.first { $0["rule"] as? String == "terminated-customers" })
            XCTAssertEqual(purgeRule["resellerIds"] as? [String], [world.resellerA])
            XCTAssertNotNil(purgeRule["elapsedMs"] as? Int)
            XCTAssertNotNil(try runsPlatform.json["nextCursor"] as? String, "older runs follow")
        }
    }

    func testADryRunReportsEveryRuleAndChangesNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["manager"]!.id
            _ = try await world.storeContent("recording", "old", for: employee, client)
            let terminated = try await client.call(.post, "/v1/customers/\(world.customerA1)/terminate", token: world.resellerAKey)
            XCTAssertEqual(terminated.status, .ok)
            try await database.admin("UPDATE sb.employee_content SET recorded_at = '2027-01-01T00:00:00Z'")
            try await database.admin("UPDATE sb.customers SET terminated_at = '2027-01-01T00:00:00Z' WHERE id = '\(world.customerA1)'")
            try await database.admin("INSERT INTO sb.usage_monthly (reseller_id, customer_id, month, number) VALUES ('\(world.resellerA)', '\(world.customerA1)', '2020-01-01', '+4511100000')")
            try await database.admin("INSERT INTO sb.employee_content (employee_id, id, kind, content_type, byte_size, data) VALUES ('\(employee)', gen_random_uuid(), 'greeting', 'audio/wav', 0, 'plain')")
            let tables = RetentionPolicy.tableClasses.keys.filter { !$0.contains("retention_") }.sorted()
            func snapshot() async throws -> [String: String] {
                var rows: [String: String] = [:]
                for table in tables {
                    rows[table] = try await database.withAdmin { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \(table) t"), logger: TestCluster.logger)
                            .collect().first!.decode(String.self)
                    }
                }
                return rows
            }
            let before = try await snapshot()
            let run = try await database.runRetention(at: instant("2028-06-01T00:00:00Z"), dryRun: true)
            XCTAssertTrue(run.dryRun)
            for rule in [RetentionPolicy.RuleName.callRecordings, RetentionPolicy.RuleName.voicemails, RetentionPolicy.RuleName.terminatedCustomers,
                         RetentionPolicy.RuleName.bookkeeping, RetentionPolicy.RuleName.sessions, RetentionRunner.StepName.contentSealing] {
                XCTAssertGreaterThan(run.report(rule)?.affected ?? 0, 0, "\(rule) reports what it would do")
            }
            let after = try await snapshot()
            for table in tables { XCTAssertEqual(before[table], after[table], "a dry run changed \(table)") }
            let key = try await (try await database.keyStore()).existingDataKey(for: UUID(uuidString: employee)!)
            XCTAssertNotNil(key, "a dry run destroys no key")
        }
    }

    func testUsageTotalsGoFiveYearsAfterTheEndOfTheirFinancialYear() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let (_, tenants) = (RawSession(database: database), SeededTenants())
        try await tenants.seed(database)
        for month in ["2020-03-01", "2020-12-01", "2021-01-01"] {
            try await database.admin("INSERT INTO sb.usage_monthly (reseller_id, customer_id, month, number) VALUES ('\(tenants.resellerA)', '\(tenants.customerA1)', '\(month)', '+4511100000')")
        }
        var run = try await database.runRetention(at: instant("2025-12-31T23:59:59Z"))
        XCTAssertEqual(run.purgedUsageRows, 0)
        run = try await database.runRetention(at: instant("2026-01-01T00:00:00Z"))
        XCTAssertEqual(run.purgedUsageRows, 2, "both months of 2020, on 1 January 2026")
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.bookkeeping)?.perReseller, [tenants.resellerA: 2])
        let left = try await database.integer("SELECT count(*)::int FROM sb.usage_monthly")
        XCTAssertEqual(left, 1)
    }

    func testSessionsLoginAttemptsAndTheIngestLedgerFollowTheirShortRules() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        try await database.admin("UPDATE sb.sessions SET expires_at = '2028-02-27T10:00:00Z' WHERE id = '\(tenants.sessionA1)'")
        try await database.admin("UPDATE sb.sessions SET expires_at = '2028-03-31T10:00:00Z', revoked_at = '2028-02-26T10:00:00Z' WHERE id = '\(tenants.sessionB1)'")
        try await database.admin("INSERT INTO sb.login_throttle (key, failures, last_failure_at) VALUES ('source:192.0.2.1', 3, '2028-02-28T12:00:00Z')")
        try await database.admin("INSERT INTO sb.login_known_sources (key, last_success_at) VALUES (repeat('a', 64), '2027-12-01T00:00:00Z')")
        try await database.admin("INSERT INTO platform.ingest_batches (id, kind, received_by, received_at) VALUES (gen_random_uuid(), 'cdr', gen_random_uuid(), '2027-12-01T00:00:00Z')")

        // Received (and last signed in from) 1 December 2027: + 90 days is 29 February 2028, a leap day.
        var run = try await database.runRetention(at: instant("2028-02-28T23:59:59Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.loginAttempts)?.affected, 0)
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.ingestLedger)?.affected, 0)
        run = try await database.runRetention(at: instant("2028-02-29T00:00:00Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.ingestLedger)?.affected, 1)
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.loginAttempts)?.affected, 1, "the known sign-in source")
        // The last failure 28 February 12:00 + 24 hours.
        run = try await database.runRetention(at: instant("2028-02-29T11:59:59Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.loginAttempts)?.affected, 0)
        run = try await database.runRetention(at: instant("2028-02-29T12:00:00Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.loginAttempts)?.affected, 1, "24 hours after the last failure")
        let throttled = try await database.integer("SELECT count(*)::int FROM sb.login_throttle")
        XCTAssertEqual(throttled, 0)
        // Revoked 26 February + 7 days = 4 March (leap year); expired 27 February + 7 days = 5 March.
        run = try await database.runRetention(at: instant("2028-03-04T09:59:59Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.sessions)?.affected, 0)
        run = try await database.runRetention(at: instant("2028-03-04T10:00:00Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.sessions)?.perReseller, [tenants.resellerB: 1], "7 days after its revocation")
        run = try await database.runRetention(at: instant("2028-03-05T09:59:59Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.sessions)?.affected, 0)
        run = try await database.runRetention(at: instant("2028-03-05T10:00:00Z"))
        XCTAssertEqual(run.report(RetentionPolicy.RuleName.sessions)?.perReseller, [tenants.resellerA: 1], "7 days after its expiry")
    }

    func testTelemetryMonthsGoAfterThreeMonthsAndTrafficDataAfterTwelve() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        // Each table has its own months back: 3 of telemetry, 12 of CDRs, and three ahead.
        let early = try await database.runRetention(at: instant("2031-03-15T00:00:00Z"))
        XCTAssertTrue(early.createdPartitions.contains("telemetry_events_2030_12"), "\(early.createdPartitions)")
        XCTAssertFalse(early.createdPartitions.contains("telemetry_events_2030_11"), "no month is made only to be dropped")
        XCTAssertTrue(early.createdPartitions.contains("cdrs_2030_03"))
        XCTAssertTrue(early.createdPartitions.contains("cdrs_2031_06"))

        // A month goes once its last day is the period old: March 2031 ends 1 April, + 3 months is 1 July.
        var run = try await database.runRetention(at: instant("2031-06-30T23:59:59Z"))
        XCTAssertFalse(run.droppedPartitions.contains("telemetry_events_2031_03"))
        XCTAssertFalse(run.droppedPartitions.contains("cdrs_2030_06"))
        run = try await database.runRetention(at: instant("2031-07-01T00:00:00Z"))
        XCTAssertTrue(run.droppedPartitions.contains("telemetry_events_2031_03"), "\(run.droppedPartitions)")
        XCTAssertFalse(run.droppedPartitions.contains("telemetry_events_2031_04"))
        XCTAssertTrue(run.droppedPartitions.contains("cdrs_2030_06"), "June 2030 ends 1 July 2030: 12 months before")
        XCTAssertFalse(run.droppedPartitions.contains("cdrs_2030_07"))
        let remaining = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relname ~ '_20[0-9]{2}_[0-9]{2}$' ORDER BY 1",
                logger: TestCluster.logger
            ).collect().map { try $0.decode(String.self) }
        }
        XCTAssertFalse(remaining.contains("telemetry_events_2031_03"), "dropped, not only detached")
        XCTAssertTrue(remaining.contains("telemetry_events_2031_04"))
    }
}
