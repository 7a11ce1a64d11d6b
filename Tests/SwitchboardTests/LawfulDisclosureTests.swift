import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardStore
import XCTest

/// Lawful disclosure under four eyes: recorded by one legal reviewer, decided by another, exported
/// once and exactly as asked, and invisible to every tenant.
final class LawfulDisclosureTests: XCTestCase {
    func testFourEyesExactExportOnceAndNoTraceForTenants() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let author = try await PlatformStaffAccounts.make(client, "Lea Legal", duties: ["legal"])
            let reviewer = try await PlatformStaffAccounts.make(client, "Lars Legal", duties: ["legal"])
            let operatorPerson = try await PlatformStaffAccounts.make(client, "Olga Operator", duties: ["operator", "finance"])
            let target = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let bystander = try await TrafficTests.number(of: world.employees["manager"]!.id, client, token: world.resellerAKey)

            let periodStart = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 6 * 3600)
            let periodEnd = periodStart.addingTimeInterval(3 * 3600)
            func call(_ from: String, _ to: String, _ offset: Double, ip: String = "10.1.1.1") -> String {
                #"{"kind":"call","aNumber":"\#(from)","bNumber":"\#(to)","startedAt":"\#(periodStart.addingTimeInterval(offset).formatted(.iso8601))","durationSeconds":30,"charge":0.5,"ip":"\#(ip)","cell":"cell-1"}"#
            }
            let stored = try await TrafficTests.post(client, [
                call(target, "+4570000001", 60),                   // in: the target calls
                call(bystander, target, 120),                      // in: the target is called
                call(bystander, "+4570000002", 180, ip: "10.66.0.1"), // in: the requested IP address
                call(bystander, "+4570000003", 240),               // out: neither identifier
                call(target, "+4570000004", -60),                  // out: before the period
                call(target, "+4570000005", 3 * 3600),             // out: the period's end is exclusive
                call(bystander, "+4570000006", 3 * 3600 + 60, ip: "10.66.0.1"), // out: after the period
            ])
            XCTAssertEqual(stored.status, .created, stored.body)

            // What every tenant sees, before anything happens.
            let month = String(periodStart.formatted(.iso8601).prefix(7))
            let tenantViews: [(String, String)] = [
                ("/v1/audit-events?limit=200", world.resellerAKey), ("/v1/audit-events?limit=200", world.resellerBKey),
                ("/v1/audit-events?limit=200", world.managerA1Token), ("/v1/usage?month=\(month)", world.resellerAKey),
                ("/v1/fraud-alerts", world.resellerAKey), ("/v1/webhooks/\(world.webhookA)/deliveries", world.resellerAKey),
                ("/v1/data-subject-requests", world.resellerAKey), ("/v1/employees/\(world.employees["reseller"]!.id)/export", world.resellerAKey),
            ]
            // Reading is itself audited (usage and exports): those entries are the reads', not the disclosure's.
            let readActions: Set<String> = ["usage.read", "employee.export"]
            func snapshot() async throws -> [NSObject] {
                var views: [NSObject] = []
                for (path, token) in tenantViews {
                    let reply = try await client.call(.get, path, token: token)
                    XCTAssertEqual(reply.status, .ok, "\(path): \(reply.body)")
                    guard var json = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any] else { throw TestFailure(path) }
                    if path.hasPrefix("/v1/audit-events") {
                        json["items"] = (json["items"] as? [[String: Any]] ?? []).filter { !readActions.contains($0["action"] as? String ?? "") }
                    }
                    json["exportedAt"] = nil  // an export's generation time
                    views.append(json as NSDictionary)
                }
                return views
            }
            let before = try await snapshot()

            let from = periodStart.formatted(.iso8601), to = periodEnd.formatted(.iso8601)
            let recorded = try await client.call(.post, "/v1/platform/disclosures", token: author.token, json: """
                {"authority":"Københavns Politi","country":"DK","caseReference":"KBH-2026-4711","legalBasis":"Retsplejeloven § 804",
                 "numbers":["\(target)"],"ipAddresses":["10.66.0.1"],"from":"\(from)","to":"\(to)"}
                """)
            XCTAssertEqual(recorded.status, .created, recorded.body)
            XCTAssertEqual(recorded.json["state"] as? String, "pending")
            XCTAssertEqual(recorded.json["recordedBy"] as? String, author.id)
            let id = try recorded.string("id")

            // Not before approval; not by its author; not by another duty or a key.
            let early = try await client.call(.get, "/v1/platform/disclosures/\(id)/export", token: reviewer.token)
            XCTAssertEqual(early.status, .conflict, early.body)
            let byAuthor = try await client.call(.post, "/v1/platform/disclosures/\(id)/approve", token: author.token, json: #"{"reason":"I checked it myself."}"#)
            XCTAssertEqual(byAuthor.status, .forbidden, byAuthor.body)
            XCTAssertTrue(byAuthor.body.contains("four-eyes"), byAuthor.body)
            for token in [operatorPerson.token, world.platformKey] {
                let refused = try await client.call(.post, "/v1/platform/disclosures/\(id)/approve", token: token, json: #"{"reason":"Looks fine."}"#)
                XCTAssertEqual(refused.status, .forbidden, refused.body)
            }
            // Not even by writing the row as the platform role: the database holds the rule.
            let raw = RawSession(database: database)
            let forged = try await raw.execute(
                "UPDATE platform.disclosure_requests SET state = 'approved', reviewed_by = '\(author.id)', reviewed_at = now(), review_reason = 'x', download_until = now() + interval '1 day' WHERE id = '\(id)'",
                role: "sb_platform", settings: ["sb.principal_id": author.id])
            guard case .denied = forged else { return XCTFail("the author approved their own request in SQL") }

            let approved = try await client.call(.post, "/v1/platform/disclosures/\(id)/approve", token: reviewer.token,
                                                 json: #"{"reason":"Precise, lawful and proportionate."}"#)
            XCTAssertEqual(approved.status, .ok, approved.body)
            XCTAssertEqual(approved.json["reviewedBy"] as? String, reviewer.id)
            XCTAssertNotNil(approved.json["downloadUntil"])
            let twice = try await client.call(.post, "/v1/platform/disclosures/\(id)/refuse", token: reviewer.token, json: #"{"reason":"Changed my mind."}"#)
            XCTAssertEqual(twice.status, .conflict)

            let export = try await client.call(.get, "/v1/platform/disclosures/\(id)/export", token: author.token)
            XCTAssertEqual(export.status, .ok, export.body)
            let bytes = Array(export.body.utf8)
            XCTAssertEqual(export.headers[HTTPField.Name("Repr-Digest")!], "sha-256=:\(Data(SHA256.hash(data: bytes)).base64EncodedString()):")
            guard case .valid(_, let kind, _) = ReceiptVerification.verify(bytes) else { return XCTFail("the export's signature does not verify") }
            XCTAssertEqual(kind, "lawful-disclosure")
            let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            let records = try XCTUnwrap(document["records"] as? [[String: Any]])
            XCTAssertEqual(records.count, 3, "exactly the requested identifiers in the period: \(records)")
            for record in records {
                let started = try XCTUnwrap(ISO8601DateFormatter.withFractions.date(from: record["startedAt"] as! String))
                XCTAssertTrue(started >= periodStart && started < periodEnd, "\(record)")
                XCTAssertTrue(record["aNumber"] as? String == target || record["bNumber"] as? String == target || record["ip"] as? String == "10.66.0.1", "\(record)")
            }
            XCTAssertEqual(document["caseReference"] as? String, "KBH-2026-4711")
            XCTAssertEqual(document["approvedBy"] as? String, reviewer.id)
            // A tampered copy fails.
            var tampered = bytes
            if let index = tampered.firstIndex(of: UInt8(ascii: "K")) { tampered[index] = UInt8(ascii: "X") }
            if case .valid = ReceiptVerification.verify(tampered) { XCTFail("a tampered export verified") }

            let shown = try await client.call(.get, "/v1/platform/disclosures/\(id)", token: reviewer.token)
            XCTAssertEqual(shown.json["state"] as? String, "exported")
            XCTAssertEqual(shown.json["exportSha256"] as? String, SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            XCTAssertEqual(shown.json["exportRecords"] as? Int, records.count + ((document["networkEvents"] as? [Any])?.count ?? 0))
            let again = try await client.call(.get, "/v1/platform/disclosures/\(id)/export", token: reviewer.token)
            XCTAssertEqual(again.status, .gone, again.body)

            // A refused request never yields an export.
            let second = try await client.call(.post, "/v1/platform/disclosures", token: reviewer.token, json: """
                {"authority":"Politiet","country":"DK","caseReference":"X-2","legalBasis":"§ 804","numbers":["\(bystander)"],"from":"\(from)","to":"\(to)"}
                """)
            XCTAssertEqual(second.status, .created, second.body)
            let secondID = try second.string("id")
            let refusal = try await client.call(.post, "/v1/platform/disclosures/\(secondID)/refuse", token: author.token, json: #"{"reason":"Not precise enough."}"#)
            XCTAssertEqual(refusal.status, .ok, refusal.body)
            let refusedExport = try await client.call(.get, "/v1/platform/disclosures/\(secondID)/export", token: reviewer.token)
            XCTAssertEqual(refusedExport.status, .conflict)

            // Every step is in the platform's trail, under the people, with no tenant on it.
            let trail = try await database.withAdmin { connection in
                try await connection.query(
                    "SELECT action, principal_id::text, (reseller_id IS NULL)::text FROM sb.audit_events WHERE action LIKE 'disclosure.%' ORDER BY occurred_at, seq",
                    logger: TestCluster.logger
                ).collect().map { try $0.decode((String, String, String).self) }
            }
            XCTAssertEqual(trail.map(\.0), ["disclosure.record", "disclosure.approve", "disclosure.export", "disclosure.record", "disclosure.refuse"])
            XCTAssertEqual(trail.map(\.1), [author.id, reviewer.id, author.id, reviewer.id, author.id])
            XCTAssertEqual(Set(trail.map(\.2)), ["true"])

            // Within the platform, only legal reviewers read the disclosure's steps in the trail.
            for token in [operatorPerson.token, world.platformKey] {
                let trailView = try await client.call(.get, "/v1/audit-events?limit=200&action=disclosure.export", token: token)
                XCTAssertEqual(trailView.items.count, 0, trailView.body)
            }
            let legalView = try await client.call(.get, "/v1/audit-events?limit=200&action=disclosure.export", token: reviewer.token)
            XCTAssertEqual(legalView.items.count, 1, legalView.body)
            // Retained data only: no period reaching past the request, none older than the data kept.
            for (badFrom, badTo) in [(from, Date().addingTimeInterval(3600).formatted(.iso8601)), ("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z")] {
                let refused = try await client.call(.post, "/v1/platform/disclosures", token: author.token, json: """
                    {"authority":"Politiet","country":"DK","caseReference":"X-3","legalBasis":"§ 804","numbers":["\(target)"],"from":"\(badFrom)","to":"\(badTo)"}
                    """)
                XCTAssertEqual(refused.status, .unprocessableContent, refused.body)
            }

            // No tenant-facing answer changed, and no tenant role can even name the table.
            let after = try await snapshot()
            for (index, view) in tenantViews.enumerated() { XCTAssertEqual(before[index], after[index], "\(view.0) changed") }
            for role in ["sb_reseller", "sb_customer", "sb_telephony", "sb_authenticator", "sb_retention"] {
                let outcome = try await raw.run("SELECT count(*)::text FROM platform.disclosure_requests", role: role,
                                                settings: ["sb.reseller_id": world.resellerA, "sb.customer_id": world.customerA1])
                guard case .denied(let state, _) = outcome else { return XCTFail("\(role) read disclosures: \(outcome)") }
                XCTAssertEqual(state, "42501")
            }
        }
    }
}

extension ISO8601DateFormatter {
    /// Accepts the export's microsecond timestamps.
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
