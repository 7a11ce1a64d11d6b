import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import XCTest

/// Fraud rules over the CDR stream: a planted pattern raises exactly its alert and ordinary traffic
/// none; alerts escalate, are handled by the platform's people, and reach only their reseller.
final class FraudDetectionTests: XCTestCase {
    /// Six one-minute calls to high-risk destinations, 20 s apart, starting `offset` × 10 s after
    /// `start`: below the burst warning at 10 alone, above it with a second such batch in the window.
    static func highCostCalls(from number: String, offset: Int, after start: Date) -> [String] {
        (0..<6).map { call(from: number, to: "+88216\(offset + $0)", at: start.addingTimeInterval(Double(offset * 10 + $0 * 20)), seconds: 60, charge: "1") }
    }

    static func call(from number: String, to destination: String, at date: Date, seconds: Int, charge: String) -> String {
        #"{"kind":"call","aNumber":"\#(number)","bNumber":"\#(destination)","startedAt":"\#(date.formatted(.iso8601))","durationSeconds":\#(seconds),"charge":\#(charge),"ip":"10.9.8.7","cell":"cell-secret-42"}"#
    }

    static func numberOfNewEmployee(_ client: some TestClientProtocol, customer: String, token: String, extension ext: String, number: String) async throws {
        let employee = try await client.call(.post, "/v1/customers/\(customer)/employees", token: token, json: #"{"fullName":"Fraud Target \#(ext)","extension":"\#(ext)"}"#)
        guard employee.status == .created else { throw TestFailure("employee: \(employee.body)") }
        let assigned = try await client.call(.post, "/v1/employees/\(try employee.string("id"))/numbers", token: token, json: #"{"number":"\#(number)"}"#)
        guard assigned.status == .created else { throw TestFailure("number: \(assigned.body)") }
    }

    static func alerts(_ client: some TestClientProtocol, token: String, path: String = "/v1/fraud-alerts") async throws -> [[String: Any]] {
        let reply = try await client.call(.get, path, token: token)
        guard reply.status == .ok else { throw TestFailure("alerts: \(reply.status) \(reply.body)") }
        return reply.items
    }

    func testPlantedPatternsRaiseExactlyTheirAlertsOrdinaryTrafficNoneAndEachResellerSeesOnlyItsOwn() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let operatorPerson = try await PlatformStaffAccounts.make(client, "Olga Operator", duties: ["operator"])
            let fraudulent = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let ordinary = try await TrafficTests.number(of: world.employees["manager"]!.id, client, token: world.resellerAKey)
            let numberB = World.stockB.numbers[0]
            try await Self.numberOfNewEmployee(client, customer: world.customerB1, token: world.resellerBKey, extension: "200", number: numberB)

            // B's long premium-rate calls are judged by B's own threshold while it has an override.
            let override = try await client.call(.put, "/v1/platform/fraud-rules/long-high-cost-call/resellers/\(world.resellerB)", token: operatorPerson.token,
                                                 json: #"{"enabled":true,"windowMinutes":1440,"warningAt":10000,"criticalAt":20000}"#)
            XCTAssertEqual(override.status, .ok, override.body)

            // After the numbers' assignments, so the records resolve to their resellers.
            let start = Date().addingTimeInterval(5)
            var lines: [String] = []
            // 12 calls to an international range in ten minutes from one number: one high-cost burst (warning ≥ 10).
            for index in 0..<12 {
                lines.append(Self.call(from: fraudulent, to: "+88216000\(100 + index)", at: start.addingTimeInterval(Double(index * 50)), seconds: 120, charge: "5.00"))
            }
            // Ordinary traffic on another number: domestic calls, an SMS, data.
            for index in 0..<6 {
                lines.append(Self.call(from: ordinary, to: "+4570000001", at: start.addingTimeInterval(Double(index * 120)), seconds: 60 + index, charge: "0.25"))
            }
            lines.append(TrafficTests.cdr("sms", ordinary, at: start, charge: "0.10"))
            lines.append(TrafficTests.cdr("data", ordinary, at: start, bytes: 1_000_000, charge: "0.01"))
            // B: a 2,000-second call to the Danish premium-rate range, under B's override (no alert).
            lines.append(Self.call(from: numberB, to: "+4590112233", at: start, seconds: 2000, charge: "40.00"))
            let first = try await TrafficTests.post(client, lines)
            XCTAssertEqual(first.status, .created, first.body)

            let platformView = try await Self.alerts(client, token: operatorPerson.token, path: "/v1/platform/fraud-alerts")
            XCTAssertEqual(platformView.count, 1, "exactly the planted pattern: \(platformView)")
            let burst = try XCTUnwrap(platformView.first)
            XCTAssertEqual(burst["rule"] as? String, "high-cost-burst")
            XCTAssertEqual(burst["servedNumber"] as? String, fraudulent)
            XCTAssertEqual(burst["level"] as? String, "warning")
            XCTAssertEqual(burst["measure"] as? Int, 12)
            XCTAssertEqual(burst["calls"] as? Int, 12)
            XCTAssertEqual(burst["cost"] as? String, "60.0000")
            XCTAssertEqual(burst["resellerId"] as? String, world.resellerA)

            // The reseller's view: its own alert, with no called numbers, IPs, cells or the platform's handlers.
            let seenByA = try await client.call(.get, "/v1/fraud-alerts", token: world.resellerAKey)
            XCTAssertEqual(seenByA.items.count, 1)
            for secret in ["+88216", "10.9.8.7", "cell-secret-42", "acknowledgedBy", "resolution"] {
                XCTAssertFalse(seenByA.body.contains(secret), "the reseller's view shows \(secret)")
            }
            let seenByB = try await Self.alerts(client, token: world.resellerBKey)
            XCTAssertEqual(seenByB.count, 0, "B never sees A's alerts")
            for token in [world.managerA1Token, world.telephonyKey] {
                let refused = try await client.call(.get, "/v1/fraud-alerts", token: token)
                XCTAssertEqual(refused.status, .forbidden)
            }

            // The event went to A's subscription only, without a called number.
            let events = try await database.withAdmin { connection in
                try await connection.query("SELECT reseller_id::text, body FROM sb.webhook_deliveries WHERE event_type LIKE 'fraud-alert.%'", logger: TestCluster.logger)
                    .collect().map { try $0.decode((String, String).self) }
            }
            XCTAssertEqual(events.map(\.0), [world.resellerA])
            let event = try JSONSerialization.jsonObject(with: Data((events.first?.1 ?? "{}").utf8)) as? [String: Any]
            XCTAssertEqual(event?["type"] as? String, "fraud-alert.raised", "\(events)")
            XCTAssertEqual((event?["data"] as? [String: Any])?["servedNumber"] as? String, fraudulent)
            XCTAssertFalse(events.first?.1.contains("+88216") ?? true)

            // More of the same escalates the same alert to critical (≥ 30 calls in the window) and opens it again once acknowledged.
            let acknowledged = try await client.call(.post, "/v1/platform/fraud-alerts/\(burst["id"] as! String)/acknowledge", token: operatorPerson.token)
            XCTAssertEqual(acknowledged.status, .ok, acknowledged.body)
            XCTAssertEqual(acknowledged.json["acknowledgedBy"] as? String, operatorPerson.id)
            let again = try await client.call(.post, "/v1/platform/fraud-alerts/\(burst["id"] as! String)/acknowledge", token: operatorPerson.token)
            XCTAssertEqual(again.status, .conflict)
            lines = (0..<20).map { index in
                Self.call(from: fraudulent, to: "+88216000\(200 + index)", at: start.addingTimeInterval(Double(600 + index * 30)), seconds: 90, charge: "7.50")
            }
            // The override is gone: B's next long premium call raises B's own alert.
            let removed = try await client.call(.delete, "/v1/platform/fraud-rules/long-high-cost-call/resellers/\(world.resellerB)", token: operatorPerson.token)
            XCTAssertEqual(removed.status, .noContent, removed.body)
            lines.append(Self.call(from: numberB, to: "+4590112233", at: start.addingTimeInterval(3000), seconds: 2000, charge: "40.00"))
            let second = try await TrafficTests.post(client, lines)
            XCTAssertEqual(second.status, .created, second.body)

            let afterA = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(afterA.count, 1, "the same alert escalated, none added: \(afterA)")
            XCTAssertEqual(afterA.first?["level"] as? String, "critical")
            XCTAssertEqual(afterA.first?["state"] as? String, "open")
            XCTAssertEqual(afterA.first?["measure"] as? Int, 32)
            XCTAssertNotNil(afterA.first?["escalatedAt"])
            let afterB = try await Self.alerts(client, token: world.resellerBKey)
            XCTAssertEqual(afterB.map { $0["rule"] as? String }, ["long-high-cost-call"])
            XCTAssertEqual(afterB.first?["measure"] as? Int, 2000)
            XCTAssertEqual(afterB.first?["servedNumber"] as? String, numberB)
            let aView = try await client.call(.get, "/v1/fraud-alerts", token: world.resellerAKey)
            XCTAssertFalse(aView.body.contains(numberB))

            // Raw SQL: each reseller's role reads its own alerts only; a manager's role none at all.
            let raw = RawSession(database: database)
            let asA = try await raw.values("SELECT served_number FROM sb.fraud_alerts", role: "sb_reseller", settings: ["sb.reseller_id": world.resellerA])
            XCTAssertEqual(asA, [fraudulent])
            let asB = try await raw.values("SELECT served_number FROM sb.fraud_alerts WHERE reseller_id = '\(world.resellerA)'", role: "sb_reseller", settings: ["sb.reseller_id": world.resellerB])
            XCTAssertEqual(asB, [])
            let handler = try await raw.run("SELECT acknowledged_by::text FROM sb.fraud_alerts", role: "sb_reseller", settings: ["sb.reseller_id": world.resellerA])
            guard case .denied = handler else { return XCTFail("the reseller read who handled it: \(handler)") }
            let manager = try await raw.run("SELECT count(*)::text FROM sb.fraud_alerts", role: "sb_customer",
                                           settings: ["sb.reseller_id": world.resellerA, "sb.customer_id": world.customerA1])
            guard case .denied = manager else { return XCTFail("a manager read fraud alerts: \(manager)") }
            let forged = try await raw.execute("UPDATE sb.fraud_alerts SET state = 'resolved', resolved_at = now()", role: "sb_reseller", settings: ["sb.reseller_id": world.resellerA])
            guard case .denied = forged else { return XCTFail("a reseller resolved its own alert") }

            // Resolving is audited under the person; the next hit raises a new alert.
            let alertID = afterA.first?["id"] as! String
            let resolved = try await client.call(.post, "/v1/platform/fraud-alerts/\(alertID)/resolve", token: operatorPerson.token,
                                                 json: #"{"resolution":"Line barred; customer's PBX was compromised."}"#)
            XCTAssertEqual(resolved.status, .ok, resolved.body)
            XCTAssertEqual(resolved.json["resolvedBy"] as? String, operatorPerson.id)
            let trail = try await database.withAdmin { connection in
                try await connection.query(
                    "SELECT action, principal_id::text FROM sb.audit_events WHERE target_id = \(UUID(uuidString: alertID)!) AND reseller_id IS NULL ORDER BY occurred_at",
                    logger: TestCluster.logger
                ).collect().map { try $0.decode((String, String).self) }
            }
            XCTAssertEqual(trail.map(\.0), ["fraud-alert.acknowledge", "fraud-alert.resolve"])
            XCTAssertEqual(Set(trail.map(\.1)), [operatorPerson.id])
            let third = try await TrafficTests.post(client, [Self.call(from: fraudulent, to: "+88216000999", at: start.addingTimeInterval(1500), seconds: 30, charge: "1.00")])
            XCTAssertEqual(third.status, .created, third.body)
            let all = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(all.map { $0["state"] as? String }, ["open", "resolved"], "a new alert after the resolved one")
        }
    }

    /// Two batches, each below the threshold, sent at once: together they cross it, and the alert is raised.
    func testConcurrentBatchesOfOneNumberAreJudgedTogether() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let number = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let start = Date().addingTimeInterval(5)
            func batch(_ offset: Int) -> [String] { Self.highCostCalls(from: number, offset: offset, after: start) }
            async let first = TrafficTests.post(client, batch(100))
            async let second = TrafficTests.post(client, batch(200))
            let (a, b) = try await (first, second)
            XCTAssertEqual([a.status, b.status], [.created, .created], a.body + b.body)
            let alerts = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(alerts.map { $0["rule"] as? String }, ["high-cost-burst"], "6 + 6 calls cross the warning at 10")
            XCTAssertEqual(alerts.first?["measure"] as? Int, 12)
        }
    }

    /// The order two batches commit in does not matter: a batch of earlier calls that arrives after
    /// the batch of later ones is judged with them too.
    func testABatchOfEarlierCallsArrivingLastIsJudgedWithTheLaterOnes() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let number = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let start = Date().addingTimeInterval(5)
            func batch(_ offset: Int) -> [String] { Self.highCostCalls(from: number, offset: offset, after: start) }
            let later = try await TrafficTests.post(client, batch(200))
            XCTAssertEqual(later.status, .created, later.body)
            let none = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(none.count, 0, "6 calls alone stay below the warning at 10")
            let earlier = try await TrafficTests.post(client, batch(100))
            XCTAssertEqual(earlier.status, .created, earlier.body)
            let alerts = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(alerts.map { $0["rule"] as? String }, ["high-cost-burst"], "6 + 6 calls in one window cross the warning at 10")
            XCTAssertEqual(alerts.first?["measure"] as? Int, 12)
        }
    }

    func testDryRunReplaysARuleOverPastCDRsWithoutRaisingAnything() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let number = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let start = Date().addingTimeInterval(5)
            // Short calls: 8 of 3 seconds in five minutes, under the flood rule's default (30).
            let lines = (0..<8).map { Self.call(from: number, to: "+4570000\(100 + $0)", at: start.addingTimeInterval(Double($0 * 30)), seconds: 3, charge: "0.05") }
            let stored = try await TrafficTests.post(client, lines)
            XCTAssertEqual(stored.status, .created, stored.body)
            let beforeReplay = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(beforeReplay.count, 0)

            let from = start.addingTimeInterval(-60).formatted(.iso8601), to = start.addingTimeInterval(3600).formatted(.iso8601)
            let current = try await client.call(.post, "/v1/platform/fraud-rules/short-call-flood/dry-run", token: world.platformKey,
                                                json: #"{"from":"\#(from)","to":"\#(to)"}"#)
            XCTAssertEqual(current.status, .ok, current.body)
            XCTAssertEqual(current.json["judgedCalls"] as? Int, 8)
            XCTAssertEqual((current.json["hits"] as? [Any])?.count, 0)

            let trial = try await client.call(.post, "/v1/platform/fraud-rules/short-call-flood/dry-run", token: world.platformKey,
                                              json: #"{"from":"\#(from)","to":"\#(to)","setting":{"enabled":true,"windowMinutes":10,"warningAt":4,"criticalAt":8,"shortCallSeconds":5}}"#)
            XCTAssertEqual(trial.status, .ok, trial.body)
            let hits = trial.json["hits"] as? [[String: Any]] ?? []
            XCTAssertEqual(hits.map { $0["servedNumber"] as? String }, [number])
            XCTAssertEqual(hits.first?["level"] as? String, "critical")
            XCTAssertEqual(hits.first?["measure"] as? Int, 8)
            // It would first have fired at the fourth call (warning at 4).
            let firstHit = try XCTUnwrap(hits.first?["firstHitAt"] as? String)
            XCTAssertEqual(firstHit.prefix(19), start.addingTimeInterval(90).formatted(.iso8601).prefix(19))
            let forB = try await client.call(.post, "/v1/platform/fraud-rules/short-call-flood/dry-run", token: world.platformKey,
                                             json: #"{"from":"\#(from)","to":"\#(to)","resellerId":"\#(world.resellerB)","setting":{"enabled":true,"windowMinutes":10,"warningAt":4,"criticalAt":8,"shortCallSeconds":5}}"#)
            XCTAssertEqual((forB.json["hits"] as? [Any])?.count, 0, forB.body)

            // Nothing was raised or saved by trying.
            let afterReplay = try await Self.alerts(client, token: world.resellerAKey)
            XCTAssertEqual(afterReplay.count, 0)
            let rules = try await client.call(.get, "/v1/platform/fraud-rules", token: world.platformKey)
            let flood = rules.items.first { $0["rule"] as? String == "short-call-flood" }
            XCTAssertEqual((flood?["setting"] as? [String: Any])?["warningAt"] as? Int, 30)
            XCTAssertEqual((flood?["overrides"] as? [Any])?.count, 0)

            let tooLong = try await client.call(.post, "/v1/platform/fraud-rules/short-call-flood/dry-run", token: world.platformKey,
                                                json: #"{"from":"2026-01-01T00:00:00Z","to":"2026-03-01T00:00:00Z"}"#)
            XCTAssertEqual(tooLong.status, .unprocessableContent, tooLong.body)
            for (warning, critical) in [(1_000_001, 1_000_002), (Int.max, 1), (5, 4)] {
                let outOfRange = try await client.call(.put, "/v1/platform/fraud-rules/distinct-destinations", token: world.platformKey,
                                                       json: #"{"enabled":true,"windowMinutes":60,"warningAt":\#(warning),"criticalAt":\#(critical)}"#)
                XCTAssertTrue([400, 422].contains(outOfRange.status.code), "\(warning)/\(critical): \(outOfRange.status) \(outOfRange.body)")
            }
            let mismatched = try await client.call(.put, "/v1/platform/fraud-rules/distinct-destinations", token: world.platformKey,
                                                   json: #"{"enabled":true,"windowMinutes":60,"warningAt":10,"criticalAt":5}"#)
            XCTAssertEqual(mismatched.status, .unprocessableContent, mismatched.body)
        }
    }

    func testPrefixTableClassifiesDestinationsAtIngest() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let number = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let added = try await client.call(.put, "/v1/platform/destination-prefixes/4570999", token: world.platformKey,
                                              json: #"{"class":"high-risk","description":"A range under attack"}"#)
            XCTAssertEqual(added.status, .ok, added.body)
            XCTAssertEqual(added.json["prefix"] as? String, "+4570999")
            let bad = try await client.call(.put, "/v1/platform/destination-prefixes/45x", token: world.platformKey, json: #"{"class":"home"}"#)
            XCTAssertEqual(bad.status, .badRequest, bad.body)
            let start = Date().addingTimeInterval(-600)
            let stored = try await TrafficTests.post(client, [
                Self.call(from: number, to: "+4570999123", at: start, seconds: 10, charge: "1"),
                Self.call(from: number, to: "+4590123456", at: start, seconds: 10, charge: "1"),
                Self.call(from: number, to: "+4570000001", at: start, seconds: 10, charge: "1"),
                Self.call(from: number, to: "+46812345678", at: start, seconds: 10, charge: "1"),
            ])
            XCTAssertEqual(stored.status, .created, stored.body)
            let classes = try await database.withAdmin { connection in
                try await connection.query("SELECT b_number, coalesce(destination_class, 'home') FROM platform.cdrs ORDER BY line", logger: TestCluster.logger)
                    .collect().map { try $0.decode((String, String).self) }
            }
            XCTAssertEqual(classes.map(\.1), ["high-risk", "premium-rate", "home", "international"])
            let removed = try await client.call(.delete, "/v1/platform/destination-prefixes/4570999", token: world.platformKey)
            XCTAssertEqual(removed.status, .noContent)
            let gone = try await client.call(.delete, "/v1/platform/destination-prefixes/4570999", token: world.platformKey)
            XCTAssertEqual(gone.status, .notFound)
            let listed = try await client.call(.get, "/v1/platform/destination-prefixes", token: world.platformKey)
            XCTAssertEqual(listed.items.compactMap { $0["prefix"] as? String }, ["+45", "+4590"])
        }
    }
}
