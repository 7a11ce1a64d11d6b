import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore
import XCTest

/// Platform scope: CDR ingest (atomic, idempotent, attributed), usage totals for rebilling,
/// suppressed analytics, and the sealing of platform tables from every other role.
final class TrafficTests: XCTestCase {

    static func cdr(_ kind: String, _ number: String, at date: Date, duration: Int? = nil, bytes: Int? = nil, charge: String = "0",
                    country: String = "DK", extra: String = "") -> String {
        var fields = [#""kind":"\#(kind)""#, #""aNumber":"\#(number)""#, #""startedAt":"\#(date.formatted(.iso8601))""#,
                      #""charge":\#(charge)"#, #""country":"\#(country)""#, #""ip":"10.1.2.3""#, #""cell":"cell-7""#]
        if kind != "data" { fields.append(#""bNumber":"+4570000001""#) }
        if let duration { fields.append(#""durationSeconds":\#(duration)"#) }
        if let bytes { fields.append(#""bytes":\#(bytes)"#) }
        return "{" + (fields + (extra.isEmpty ? [] : [extra])).joined(separator: ",") + "}"
    }

    static func post(_ client: some TestClientProtocol, _ lines: [String], token: String = World.bootstrapToken, key: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/x-ndjson"]
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: "/v1/platform/cdrs", method: .post, headers: headers, body: ByteBuffer(string: lines.joined(separator: "\n") + "\n")) {
            Reply(status: $0.status, body: String(buffer: $0.body), headers: $0.headers)
        }
    }

    static func count(_ database: TestDatabase, _ sql: String) async throws -> Int {
        try await database.withAdmin { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger).collect()
            return try rows.first!.decode(Int.self)
        }
    }

    /// The number assigned to one of the world's employees.
    static func number(of employee: String, _ client: some TestClientProtocol, token: String) async throws -> String {
        let reply = try await client.call(.get, "/v1/employees/\(employee)", token: token)
        guard let number = (reply.json["numbers"] as? [[String: Any]])?.first?["value"] as? String else { throw TestFailure("no number: \(reply.body)") }
        return number
    }

    func testBatchIsAttributedAndUsageShowsEachTenantOnlyItsOwnTotals() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let numberA = try await Self.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let employeeB = try await client.call(.post, "/v1/customers/\(world.customerB1)/employees", token: world.resellerBKey, json: #"{"fullName":"B Staff","extension":"200"}"#)
            let numberB = World.stockB.numbers[0]
            let assigned = try await client.call(.post, "/v1/employees/\(try employeeB.string("id"))/numbers", token: world.resellerBKey, json: #"{"number":"\#(numberB)"}"#)
            XCTAssertEqual(assigned.status, .created, assigned.body)

            // Records count for whoever held the number when the call started: these start after the assignments.
            let now = Date().addingTimeInterval(2)
            let stored = try await Self.post(client, [
                Self.cdr("call", numberA, at: now, duration: 125, charge: "1.25"),
                Self.cdr("sms", numberA, at: now.addingTimeInterval(1), charge: "0.1"),
                Self.cdr("data", numberA, at: now.addingTimeInterval(2), bytes: 1_000_000),
                Self.cdr("call", numberB, at: now.addingTimeInterval(3), duration: 60, charge: "0.5"),
                Self.cdr("call", "+4599999999", at: now.addingTimeInterval(4), duration: 10),
                Self.cdr("call", numberA, at: now.addingTimeInterval(-3600), duration: 10),
            ])
            XCTAssertEqual(stored.status, .created, stored.body)
            XCTAssertEqual(stored.json["records"] as? Int, 6)
            XCTAssertEqual(stored.json["unknownNumbers"] as? Int, 2, "an unknown number, and A's number an hour before A held it")
            let attributed = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs WHERE reseller_id = '\(world.resellerA)' AND customer_id = '\(world.customerA1)'")
            XCTAssertEqual(attributed, 3)

            let month = String(now.formatted(.iso8601).prefix(7))
            let usageA = try await client.call(.get, "/v1/usage?month=\(month)", token: world.resellerAKey)
            XCTAssertEqual(usageA.status, .ok, usageA.body)
            let customersA = usageA.json["customers"] as? [[String: Any]] ?? []
            XCTAssertEqual(customersA.map { $0["customerId"] as? String }, [world.customerA1])
            let totals = customersA.first?["totals"] as? [String: Any] ?? [:]
            XCTAssertEqual(totals["calls"] as? Int, 1)
            XCTAssertEqual(totals["callSeconds"] as? Int, 125)
            XCTAssertEqual(totals["billedMinutes"] as? Int, 3)
            XCTAssertEqual(totals["sms"] as? Int, 1)
            XCTAssertEqual(totals["dataBytes"] as? Int, 1_000_000)
            XCTAssertEqual(totals["charge"] as? String, "1.3500")
            // Totals only: nothing of B, and no B-number, IP or cell of A's own records either.
            for forbidden in [numberB, "+4570000001", "10.1.2.3", "cell-7", "+4599999999", world.customerB1] {
                XCTAssertFalse(usageA.body.contains(forbidden), "reseller A's usage shows \(forbidden)")
            }

            let usageB = try await client.call(.get, "/v1/usage?month=\(month)", token: world.resellerBKey)
            XCTAssertTrue(usageB.body.contains(numberB))
            XCTAssertFalse(usageB.body.contains(numberA), "reseller B's usage shows A's number")
            let managerA1 = try await client.call(.get, "/v1/usage?month=\(month)", token: world.managerA1Token)
            XCTAssertTrue(managerA1.body.contains(numberA))
            let managerA2 = try await client.call(.get, "/v1/usage?month=\(month)", token: world.managerA2Token)
            XCTAssertEqual((managerA2.json["customers"] as? [Any])?.count, 0, "another company's manager sees none of A1's usage")

            // Platform staff read the raw records, and the read is on record.
            let records = try await client.call(.get, "/v1/platform/cdrs?number=\(numberA.replacingOccurrences(of: "+", with: "%2B"))&to=\(now.addingTimeInterval(3600).formatted(.iso8601))", token: World.bootstrapToken)
            XCTAssertEqual(records.status, .ok, records.body)
            XCTAssertEqual(records.items.count, 4)
            XCTAssertEqual(records.items.filter { $0["numberKnown"] as? Bool == true }.count, 3)
            XCTAssertEqual(Set(records.items.compactMap { $0["kind"] as? String }), ["call", "sms", "data"])
            let audited = try await Self.count(database, "SELECT count(*)::int FROM sb.audit_events WHERE action = 'cdrs.read'")
            XCTAssertEqual(audited, 1)
        }
    }

    func testBatchWithOneBadLineStoresNothingAndNamesTheLine() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            _ = try await World.build(client, database: database)
            let now = Date()
            // Enough good lines before the bad one that several chunks already went to the COPY.
            var lines = (0..<9000).map { Self.cdr("call", "+4598\(String(format: "%06d", $0))", at: now.addingTimeInterval(-60), duration: $0 % 300) }
            lines.insert(Self.cdr("call", "+4512345678", at: now.addingTimeInterval(-60)), at: 8500)  // a call without durationSeconds
            let refused = try await Self.post(client, lines)
            XCTAssertEqual(refused.status, .unprocessableContent, refused.body)
            let error = (refused.json["errors"] as? [[String: Any]])?.first ?? [:]
            XCTAssertEqual(error["line"] as? Int, 8501)
            XCTAssertEqual(error["field"] as? String, "durationSeconds")
            XCTAssertEqual(error["rule"] as? String, "required")
            let stored = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(stored, 0, "a refused batch leaves nothing behind")
            let batches = try await Self.count(database, "SELECT count(*)::int FROM platform.ingest_batches")
            XCTAssertEqual(batches, 0)

            for (line, field, rule) in [
                (#"{"kind":"call","aNumber":"+4512345678","bNumber":"+4512345679","startedAt":"2020-01-01T00:00:00Z","durationSeconds":1}"#, "startedAt", "range"),
                (#"{"kind":"fax","aNumber":"+4512345678"}"#, "kind", "enum"),
                (#"{"kind":"sms","aNumber":"12345678","bNumber":"+4512345679","startedAt":"2026-01-01T00:00:00Z"}"#, "aNumber", "format"),
                (#"{"kind":"data","aNumber":"+4512345678","startedAt":"\#(now.formatted(.iso8601))","bytes":1,"imsi":"x"}"#, "imsi", "unknown-field"),
                (#"{"kind":"data","aNumber":"+4512345678","startedAt":"\#(now.formatted(.iso8601))","bytes":1,"ip":"300.1.1.1"}"#, "ip", "format"),
                (#"{"kind":"call", "aNumber":"+4512345678""#, "(line)", "json"),
            ] {
                let reply = try await Self.post(client, [Self.cdr("sms", "+4512345678", at: now), line])
                XCTAssertEqual(reply.status, .unprocessableContent, line)
                XCTAssertEqual(reply.fieldRules, ["\(field)/\(rule)"], line)
                XCTAssertEqual(((reply.json["errors"] as? [[String: Any]])?.first?["line"] as? Int), 2, line)
            }
            let empty = try await Self.post(client, [""])
            XCTAssertEqual(empty.status, .unprocessableContent)
            let checked1 = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(checked1, 0)
        }
    }

    func testRetriedBatchWithTheSameKeyStoresNothingNew() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            _ = try await World.build(client, database: database)
            let lines = (0..<20).map { Self.cdr("sms", "+4597\(String(format: "%06d", $0))", at: Date().addingTimeInterval(-30)) }
            let first = try await Self.post(client, lines, key: "batch-2026-11-21-0001")
            XCTAssertEqual(first.status, .created, first.body)
            let retry = try await Self.post(client, lines, key: "batch-2026-11-21-0001")
            XCTAssertEqual(retry.status, .ok, retry.body)
            XCTAssertEqual(retry.json["replayed"] as? Bool, true)
            XCTAssertEqual(retry.json["batchId"] as? String, first.json["batchId"] as? String)
            let checked2 = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(checked2, 20)
            let reused = try await Self.post(client, Array(lines.prefix(5)), key: "batch-2026-11-21-0001")
            XCTAssertEqual(reused.status, .unprocessableContent, reused.body)
            XCTAssertEqual(reused.fieldRules, ["Idempotency-Key/unique"])
            // Without a key, the same body is a new batch.
            let unkeyed = try await Self.post(client, lines)
            XCTAssertEqual(unkeyed.status, .created)
            let checked3 = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(checked3, 40)
        }
    }

    func testTelemetryBatchIsStoredAtomicallyWithItsAttributes() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            _ = try await World.build(client, database: database)
            let at = Date().formatted(.iso8601)
            let good = [
                #"{"type":"cell.handover","occurredAt":"\#(at)","node":"enb-17","subjectNumber":"+4512345678","attributes":{"from":"enb-16","rsrp":-97.5,"note":"tab\there \\ \"q\""}}"#,
                #"{"type":"sim.attach","occurredAt":"\#(at)","node":"mme-1","subjectIccid":"\#(World.iccid(seed: "4242"))"}"#,
            ]
            func post(_ lines: [String], key: String? = nil) async throws -> Reply {
                var headers: HTTPFields = [.authorization: "Bearer \(World.bootstrapToken)", .contentType: "application/x-ndjson"]
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                return try await client.execute(uri: "/v1/platform/telemetry", method: .post, headers: headers, body: ByteBuffer(string: lines.joined(separator: "\n"))) {
                    Reply(status: $0.status, body: String(buffer: $0.body), headers: $0.headers)
                }
            }
            let stored = try await post(good, key: "telemetry-1")
            XCTAssertEqual(stored.status, .created, stored.body)
            XCTAssertEqual(stored.json["records"] as? Int, 2)
            let note = try await database.withAdmin { connection in
                try await connection.query("SELECT attributes->>'note' FROM platform.telemetry_events WHERE type = 'cell.handover'", logger: TestCluster.logger)
                    .collect().first!.decode(String.self)
            }
            XCTAssertEqual(note, "tab\there \\ \"q\"", "escapes survive JSON, COPY and jsonb")
            let retry = try await post(good, key: "telemetry-1")
            XCTAssertEqual(retry.status, .ok)
            let refused = try await post(good + [#"{"type":"Bad Type","occurredAt":"\#(at)","node":"x"}"#])
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertEqual(refused.fieldRules, ["type/format"])
            let nested = try await post([#"{"type":"a","occurredAt":"\#(at)","node":"x","attributes":{"deep":{"x":1}}}"#])
            XCTAssertEqual(nested.fieldRules, ["(line)/json"])
            let rows = try await Self.count(database, "SELECT count(*)::int FROM platform.telemetry_events")
            XCTAssertEqual(rows, 2, "the retry and the refused batches stored nothing")
        }
    }

    /// Every refusal of the traffic endpoints is a problem document and stores nothing.
    func testTrafficRefusalsAnswerProblemsAndStoreNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, traffic: TrafficSettings(maxBatchBytes: 4096)) { client in
            let world = try await World.build(client, database: database)
            let now = Date()
            // A month without a partition (the job has not prepared it): 503 naming the fix.
            _ = try await database.withAdmin { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE platform.cdrs_\(now.formatted(.iso8601).prefix(7).replacingOccurrences(of: "-", with: "_"))"),
                                           logger: TestCluster.logger)
            }
            let unpartitioned = try await Self.post(client, [Self.cdr("sms", "+4512345678", at: now)])
            XCTAssertEqual(unpartitioned.status, .serviceUnavailable, unpartitioned.body)
            XCTAssertTrue(unpartitioned.body.contains("retention run"), unpartitioned.body)
            // Over the batch limit while streaming.
            let oversize = try await Self.post(client, Array(repeating: Self.cdr("sms", "+4512345678", at: now.addingTimeInterval(-40 * 86_400)), count: 40))
            XCTAssertEqual(oversize.status, .contentTooLarge, oversize.body)
            let badKey = try await Self.post(client, [Self.cdr("sms", "+4512345678", at: now)], key: "has space")
            XCTAssertEqual(badKey.fieldRules, ["Idempotency-Key/format"])
            let stored = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(stored, 0)
            let batches = try await Self.count(database, "SELECT count(*)::int FROM platform.ingest_batches")
            XCTAssertEqual(batches, 0)

            let platform = World.bootstrapToken
            let backwards = try await client.call(.get, "/v1/platform/cdrs?number=%2B4512345678&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", token: platform)
            XCTAssertEqual(backwards.fieldRules, ["from/range"])
            let cursor = try await client.call(.get, "/v1/platform/cdrs?number=%2B4512345678&cursor=nonsense", token: platform)
            XCTAssertEqual(cursor.fieldRules, ["cursor/format"])
            let tooLong = try await client.call(.get, "/v1/platform/analytics/traffic?from=2026-01-01&to=2026-06-01", token: platform)
            XCTAssertEqual(tooLong.fieldRules, ["to/range"])
            let month = try await client.call(.get, "/v1/usage?month=2026-13", token: world.resellerAKey)
            XCTAssertEqual(month.status, .badRequest, month.body)
        }
    }

    func testAnalyticsSuppressesGroupsOfFewSubscribers() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            _ = try await World.build(client, database: database)
            let at = Date().addingTimeInterval(-120)
            let danish = (0..<12).map { Self.cdr("call", "+4596\(String(format: "%06d", $0))", at: at, duration: 30, country: "DK") }
            let swedish = (0..<3).flatMap { index in (0..<5).map { _ in Self.cdr("call", "+4695\(String(format: "%06d", index))", at: at, duration: 30, country: "SE") } }
            let checked4 = try await Self.post(client, danish + swedish)
            XCTAssertEqual(checked4.status, .created)
            let day = String(at.formatted(.iso8601).prefix(10))
            let report = try await client.call(.get, "/v1/platform/analytics/traffic?from=\(day)&to=\(day)&groupBy=country,kind", token: World.bootstrapToken)
            XCTAssertEqual(report.status, .ok, report.body)
            let groups = report.json["groups"] as? [[String: Any]] ?? []
            XCTAssertEqual(groups.map { $0["country"] as? String }, ["DK"])
            XCTAssertEqual(groups.first?["subscribers"] as? Int, 12)
            XCTAssertEqual(groups.first?["callSeconds"] as? Int, 360)
            XCTAssertEqual(report.json["suppressedGroups"] as? Int, 1, "SE has 15 records but 3 subscribers")
            XCTAssertEqual(report.json["minimumSubscribers"] as? Int, 10)
            let reseller = try await client.call(.get, "/v1/platform/analytics/traffic?from=\(day)&to=\(day)", token: World.bootstrapToken)
            XCTAssertEqual((reseller.json["groups"] as? [[String: Any]])?.first?["subscribers"] as? Int, 15)
        }
    }

    func testRetentionDropsWholeMonthsPastTwelveMonthsAndNeverTheCurrentOne() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let clock = ISO8601DateFormatter().date(from: "2031-03-15T12:00:00Z")!
        let start = ISO8601DateFormatter().date(from: "2029-12-10T00:00:00Z")!
        // Partitions as they would have been prepared over time, one row in each month from Dec 2029 to Mar 2031.
        try await database.withAdmin { connection in
            try await connection.query("SET ROLE sb_owner", logger: TestCluster.logger)
            for month in stride(from: 0, through: 16, by: 3) {
                let at = Calendar(identifier: .gregorian).date(byAdding: .month, value: month, to: start)!
                try await connection.query("SELECT platform.prepare_partitions(\(at), 'cdrs', '12 months')", logger: TestCluster.logger)
                try await connection.query("SELECT platform.prepare_partitions(\(at), 'telemetry_events', '3 months')", logger: TestCluster.logger)
            }
            try await connection.query(
                """
                INSERT INTO platform.cdrs (started_at, batch_id, line, kind, direction, a_number, served_number, charge)
                SELECT m, gen_random_uuid(), 1, 'sms', 'outgoing', '+4512345678', '+4512345678', 0
                FROM generate_series('2029-12-10'::timestamptz, '2031-03-10'::timestamptz, interval '1 month') AS m
                """,
                logger: TestCluster.logger
            )
        }
        let vault = try await database.vault()
        try await database.withRunningApplicationClient { pool in
            let runner = RetentionRunner(database: ScopedDatabase(client: pool), vault: vault, quarantine: QuarantineRule(), maintenance: database.adminTarget)
            let dry = try await runner.run(clock: clock, dryRun: true, trigger: .command, logger: TestCluster.logger)
            // The template's own partitions (around the real date) are long expired by this clock too.
            let expected = ["cdrs_2029_12", "cdrs_2030_01", "cdrs_2030_02"]
            let droppedCDRs = { (run: RetentionRun?) in run?.droppedPartitions.filter { $0.hasPrefix("cdrs_") && $0 >= "cdrs_2029_12" } }
            XCTAssertEqual(droppedCDRs(dry), expected)
            XCTAssertEqual(dry?.droppedPartitions.filter { $0.hasPrefix("cdrs_") }.max(), "cdrs_2030_02")
            XCTAssertTrue(dry?.droppedPartitions.contains("telemetry_events_2030_02") == true, "telemetry expires by its own, shorter rule")
            let checked5 = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs")
            XCTAssertEqual(checked5, 16, "a dry run changes nothing")

            let run = try await runner.run(clock: clock, dryRun: false, trigger: .command, logger: TestCluster.logger)
            XCTAssertEqual(droppedCDRs(run), expected)
            XCTAssertEqual(run?.droppedPartitions, dry?.droppedPartitions)
            // Nothing from a month that ended 12 months ago remains; March 2030 stays until all of it is 12 months old.
            let oldest = try await database.withAdmin { connection in
                try await connection.query("SELECT min(started_at)::text FROM platform.cdrs", logger: TestCluster.logger).collect().first!.decode(String.self)
            }
            XCTAssertTrue(oldest.hasPrefix("2030-03-10"), oldest)
            let checked6 = try await Self.count(database, "SELECT count(*)::int FROM platform.cdrs WHERE started_at >= '2031-03-01'")
            XCTAssertEqual(checked6, 1, "the current month is untouched")
            let checked7 = try await Self.count(database, "SELECT count(*)::int FROM pg_class WHERE relname IN ('cdrs_2029_12', 'cdrs_2030_02')")
            XCTAssertEqual(checked7, 0, "dropped, not emptied")
            let checked8 = try await Self.count(database, "SELECT count(*)::int FROM platform.retention_runs WHERE NOT dry_run AND 'cdrs_2030_02' = ANY (dropped_partitions)")
            XCTAssertEqual(checked8, 1)

            // A replica that cannot take the advisory lock does nothing.
            let held = try await database.withAdmin { connection in
                try await connection.query("BEGIN", logger: TestCluster.logger)
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('switchboard.retention-run'))", logger: TestCluster.logger)
                let skipped = try await runner.run(clock: clock.addingTimeInterval(86_400 * 40), dryRun: false, trigger: .job, logger: TestCluster.logger)
                try await connection.query("ROLLBACK", logger: TestCluster.logger)
                return skipped == nil
            }
            XCTAssertTrue(held)
            let checked9 = try await Self.count(database, "SELECT count(*)::int FROM platform.retention_runs")
            XCTAssertEqual(checked9, 2)
        }
    }

    /// Every non-platform role, through the server's own login role, is refused by PostgreSQL on every platform table.
    func testNonPlatformRolesAreDeniedEveryPlatformTable() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let raw = RawSession(database: database)
        let partition = try await database.withAdmin { connection in
            try await connection.query("SELECT 'platform.' || min(relname) FROM pg_class WHERE relname LIKE 'cdrs\\_2%'", logger: TestCluster.logger)
                .collect().first!.decode(String.self)
        }
        let tables = ["platform.cdrs", partition, "platform.telemetry_events", "platform.ingest_batches", "platform.retention_runs"]
        let roles: [(String?, [String: String])] = [
            (nil, [:]), ("sb_reseller", tenants.resellerSettingsA), ("sb_customer", tenants.customerSettingsA1),
            ("sb_telephony", ["sb.principal_id": UUID().uuidString]), ("sb_authenticator", [:]), ("sb_retention", [:]),
        ]
        var attempts = 0
        for (role, settings) in roles {
            for table in tables {
                for sql in ["SELECT count(*)::text FROM \(table)", "INSERT INTO \(table) DEFAULT VALUES", "DELETE FROM \(table)"] {
                    let outcome = try await raw.execute(sql, role: role, settings: settings)
                    guard case .denied(let state, let message) = outcome else {
                        XCTFail("\(role ?? "sb_app") ran: \(sql)")
                        continue
                    }
                    XCTAssertEqual(state, "42501", "\(role ?? "sb_app"): \(sql): \(message)")
                    attempts += 1
                }
            }
            for function in ["platform.number_holders(ARRAY['+4511100000'])", "platform.prepare_partitions(now(), 'cdrs', '1 month')"] {
                guard case .denied(let state, _) = try await raw.run("SELECT count(*)::text FROM \(function)", role: role, settings: settings) else {
                    XCTFail("\(role ?? "sb_app") called \(function)")
                    continue
                }
                XCTAssertEqual(state, "42501")
            }
        }
        XCTAssertEqual(attempts, roles.count * tables.count * 3)
        // The platform may read its tables but not run the retention job, and the job may read nothing.
        let platformRuns = try await raw.run("SELECT count(*)::text FROM platform.run_retention(now(), true, 'command')", role: "sb_platform", settings: tenants.platformSettings)
        guard case .denied = platformRuns else { return XCTFail("sb_platform ran the retention function") }
        let platformReads = try await raw.values("SELECT count(*)::text FROM platform.cdrs", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(platformReads, ["0"])
        // Number resolution reveals tenancy, never the employee.
        let holders = try await raw.run("SELECT reseller_id::text FROM platform.number_holders(ARRAY['+4511100000', '+4511200000'])",
                                        role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(holders.sortedRows, [[tenants.a], [tenants.b]].sorted { $0[0]! < $1[0]! })
    }

    /// Usage totals under row-level security, attacked with raw SQL and no filter.
    func testUsageTotalsAreIsolatedByRowLevelSecurity() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        _ = try await database.withAdmin { connection in
            try await connection.query(
                """
                INSERT INTO sb.usage_monthly (reseller_id, customer_id, month, number, calls) VALUES
                  (\(tenants.resellerA), \(tenants.customerA1), '2026-11-01', '+4511100000', 1),
                  (\(tenants.resellerA), \(tenants.customerA2), '2026-11-01', '+4511100009', 1),
                  (\(tenants.resellerB), \(tenants.customerB1), '2026-11-01', '+4511200000', 1)
                """,
                logger: TestCluster.logger
            )
        }
        let raw = RawSession(database: database)
        let reseller = try await raw.values("SELECT number FROM sb.usage_monthly ORDER BY number", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(reseller, ["+4511100000", "+4511100009"])
        let manager = try await raw.values("SELECT number FROM sb.usage_monthly", role: "sb_customer", settings: tenants.customerSettingsA1)
        XCTAssertEqual(manager, ["+4511100000"])
        let foreign = try await raw.values("SELECT number FROM sb.usage_monthly WHERE reseller_id = '\(tenants.b)'", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(foreign, [])
        let unset = try await raw.values("SELECT number FROM sb.usage_monthly", role: "sb_reseller")
        XCTAssertEqual(unset, [], "no tenant setting, no rows")
        let write = try await raw.execute("UPDATE sb.usage_monthly SET calls = 0", role: "sb_reseller", settings: tenants.resellerSettingsA)
        guard case .denied(let state, _) = write else { return XCTFail("a reseller changed usage totals") }
        XCTAssertEqual(state, "42501")
        for role in ["sb_telephony", "sb_authenticator", "sb_retention"] {
            guard case .denied = try await raw.run("SELECT number FROM sb.usage_monthly", role: role) else { return XCTFail("\(role) read usage") }
        }
    }
}

extension RawSession.Outcome {
    var sortedRows: [[String?]] {
        guard case .rows(let rows) = self else { return [] }
        return rows.sorted { ($0.first ?? nil) ?? "" < ($1.first ?? nil) ?? "" }
    }
}

/// The line parser on its own: every rule and the RFC 3339 arithmetic.
final class CallDetailRecordTests: XCTestCase {
    let window = UTCInstant(rfc3339: "2025-11-21T00:00:00Z")!...UTCInstant(rfc3339: "2026-11-22T00:00:00Z")!

    func parse(_ line: String) throws -> CallDetailRecord {
        try CallDetailRecord.parse(Array(line.utf8)[...], accepted: window)
    }

    func testParsesAFullRecord() throws {
        let record = try parse(#"{"kind":"call","direction":"incoming","aNumber":"+4512345678","bNumber":"+4587654321","startedAt":"2026-11-21T09:15:39.250+01:00","durationSeconds":61,"ip":"2001:db8::1","cell":"DK-123:4","country":"DK","charge":0.1234}"#)
        XCTAssertEqual(record.servedNumber, "+4587654321")
        XCTAssertEqual(record.billedMinutes, 2)
        XCTAssertEqual(record.startedAt, UTCInstant(rfc3339: "2026-11-21T08:15:39.25Z"))
        XCTAssertEqual(record.startedAt.monthStart, "2026-11-01")
        XCTAssertEqual(record.charge.description, "0.1234")
    }

    func testEachRuleNamesItsField() {
        let cases: [(String, String, String)] = [
            (#"{"kind":"call","aNumber":"+4512345678","bNumber":"+4512345679","startedAt":"2026-11-01T00:00:00Z"}"#, "durationSeconds", "required"),
            (#"{"kind":"sms","aNumber":"+4512345678","bNumber":"+4512345679","startedAt":"2026-11-01T00:00:00Z","durationSeconds":3}"#, "durationSeconds", "not-applicable"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z"}"#, "bytes", "required"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-31T00:00:00Z","bytes":1}"#, "startedAt", "format"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-12-01T00:00:00Z","bytes":1}"#, "startedAt", "range"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","bytes":-1}"#, "bytes", "range"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","bytes":1,"charge":1.23456}"#, "charge", "format"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","bytes":1,"country":"dk"}"#, "country", "format"),
            (#"{"kind":"data","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","bytes":1,"cell":"a\tb"}"#, "cell", "format"),
            (#"{"kind":"data","aNumber":"+4512345678","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","bytes":1}"#, "aNumber", "duplicate"),
            (#"{"kind":"data","aNumber":{"x":1}}"#, "aNumber", "type"),
            (#"{"kind":"data","aNumber":[1]}"#, "(line)", "json"),
            (#"{"kind":"call","direction":"incoming","aNumber":"+4512345678","startedAt":"2026-11-01T00:00:00Z","durationSeconds":1}"#, "bNumber", "required"),
        ]
        for (line, field, rule) in cases {
            XCTAssertThrowsError(try parse(line), line) { error in
                let violation = error as? FieldViolation
                XCTAssertEqual(violation?.field, field, line)
                XCTAssertEqual(violation?.rule, rule, line)
            }
        }
    }

    func testJSONStringsAndMonthArithmetic() throws {
        let members = try FlatJSON.parseObject(Array(#"{"a":"x\"y\\z\u00e6\ud83d\ude00","b":-1.5e3,"c":true,"d":null}"#.utf8)[...])
        XCTAssertEqual(members.map(\.key), ["a", "b", "c", "d"])
        XCTAssertEqual(members[0].value, .string("x\"y\\zæ😀"))
        XCTAssertEqual(members[1].value, .number("-1.5e3"))
        let march31 = UTCInstant(rfc3339: "2027-03-31T10:00:00Z")!
        XCTAssertEqual(march31.subtracting(months: 1), UTCInstant(rfc3339: "2027-02-28T10:00:00Z"))
        XCTAssertEqual(march31.subtracting(months: 12), UTCInstant(rfc3339: "2026-03-31T10:00:00Z"))
        XCTAssertEqual(UTCInstant(rfc3339: "1969-12-31T23:59:59Z")?.monthStart, "1969-12-01")
        var splitter = LineSplitter()
        var lines: [String] = []
        for chunk in ["{\"a\":1}\r\n{\"b\"", ":2}\n\n", "{\"c\":3}"] {
            try splitter.feed(Array(chunk.utf8)[...]) { number, bytes in lines.append("\(number):\(String(decoding: bytes, as: UTF8.self))") }
        }
        try splitter.finish { number, bytes in lines.append("\(number):\(String(decoding: bytes, as: UTF8.self))") }
        XCTAssertEqual(lines, [#"1:{"a":1}"#, #"2:{"b":2}"#, #"4:{"c":3}"#])
    }
}
