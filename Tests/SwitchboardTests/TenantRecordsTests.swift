import Foundation
import HummingbirdTesting
import PostgresNIO
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore
import XCTest

/// What a reseller can show a supervisory authority: its own audit trail, the record of processing
/// generated from the system's declarations, the sub-processor register with changes announced to
/// its systems; and the receipt keys rotating with old receipts still verifiable.
final class TenantRecordsTests: XCTestCase {
    func testTheAuditTrailPagesByCursorAndFiltersByTimeActionAndTarget() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let all = try await client.call(.get, "/v1/audit-events?limit=200", token: world.resellerAKey)
            XCTAssertEqual(all.status, .ok)
            let total = all.items.count
            XCTAssertGreaterThan(total, 10)
            // Page by page, the same entries in the same order, none twice.
            var paged: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await client.call(.get, "/v1/audit-events?limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""), token: world.resellerAKey)
                XCTAssertEqual(page.status, .ok, page.body)
                paged += page.items.map { "\($0["occurredAt"]!) \($0["action"]!) \($0["targetId"] ?? "")" }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            XCTAssertEqual(paged, all.items.map { "\($0["occurredAt"]!) \($0["action"]!) \($0["targetId"] ?? "")" })
            // Only A's entries, never the platform's acts on A (its allocations) nor B's.
            XCTAssertTrue(all.items.allSatisfy { $0["resellerId"] as? String == world.resellerA && $0["role"] as? String != "sb_platform" })
            let byAction = try await client.call(.get, "/v1/audit-events?action=employee.create", token: world.resellerAKey)
            XCTAssertEqual(byAction.items.count, 2)
            let future = try await client.call(.get, "/v1/audit-events?from=2099-01-01T00:00:00Z", token: world.resellerAKey)
            XCTAssertEqual(future.items.count, 0)
            let past = try await client.call(.get, "/v1/audit-events?to=2000-01-01T00:00:00Z", token: world.resellerAKey)
            XCTAssertEqual(past.items.count, 0)
            // A manager sees its company's entries only; the platform its own acts only.
            let manager = try await client.call(.get, "/v1/audit-events?limit=200", token: world.managerA2Token)
            XCTAssertTrue(manager.items.allSatisfy { $0["customerId"] as? String == world.customerA2 }, manager.body)
            let platform = try await client.call(.get, "/v1/audit-events?limit=200", token: world.platformKey)
            XCTAssertFalse(platform.items.isEmpty)
            XCTAssertTrue(platform.items.allSatisfy { $0["role"] as? String == "sb_platform" })
            // Another tenant's entry named as a cursor yields nothing of it; garbage is a 400.
            let garbage = try await client.call(.get, "/v1/audit-events?cursor=abc", token: world.resellerAKey)
            XCTAssertEqual(garbage.status, .badRequest)
            let foreign = try await client.call(.get, "/v1/audit-events?cursor=1@\(world.resellerA)", token: world.resellerBKey)
            XCTAssertEqual(foreign.items.count, 0)
        }
    }

    func testTheRecordOfProcessingIsGeneratedAndEveryResellerHearsOfSubProcessorChanges() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let added = try await client.call(.post, "/v1/platform/sub-processors", token: world.platformKey,
                                              json: #"{"name":"<script>alert(1)</script> Cloud","service":"Call recording storage","location":"USA","transferBasis":"SCCs (2021/914)","engagedFrom":"2027-03-01"}"#)
            XCTAssertEqual(added.status, .created, added.body)
            let subProcessor = try added.string("id")
            let withdrawn = try await client.call(.post, "/v1/platform/sub-processors/\(subProcessor)/withdrawal", token: world.platformKey, json: #"{"engagedUntil":"2027-12-31"}"#)
            XCTAssertEqual(withdrawn.status, .ok)
            let twice = try await client.call(.post, "/v1/platform/sub-processors/\(subProcessor)/withdrawal", token: world.platformKey, json: #"{"engagedUntil":"2027-12-31"}"#)
            XCTAssertEqual(twice.status, .conflict)
            let register = try await client.call(.get, "/v1/sub-processors", token: world.managerA1Token)
            XCTAssertEqual(register.items.first?["engagedUntil"] as? String, "2027-12-31")
            // Announced to A's subscription (every event type) in the platform's own transaction.
            let log = try await client.call(.get, "/v1/webhooks/\(world.webhookA)/deliveries", token: world.resellerAKey)
            let changes = log.items.filter { $0["eventType"] as? String == "sub-processor.changed" }
            XCTAssertEqual(changes.count, 2)
            XCTAssertTrue(changes.contains { ($0["body"] as? String)?.contains("\"withdrawn\"") == true })

            let records = try await client.call(.get, "/v1/processing-records", token: world.resellerAKey)
            XCTAssertEqual(records.status, .ok)
            XCTAssertEqual((records.json["controller"] as? [String: Any])?["resellerId"] as? String, world.resellerA)
            let activities = records.json["activities"] as? [[String: Any]] ?? []
            XCTAssertEqual(activities.count, ProcessingActivity.onBehalfOfResellers.count)
            let rules = (records.json["retention"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            XCTAssertEqual(rules, RetentionPolicy.rules(for: .reseller).map(\.name))
            XCTAssertEqual((records.json["subProcessors"] as? [[String: Any]])?.count, 1)
            XCTAssertEqual(records.json["transfers"] as? [String], [], "a withdrawn sub-processor transfers nothing")
            XCTAssertFalse((records.json["securityMeasures"] as? [String] ?? []).isEmpty)
            let page = try await client.call(.get, "/v1/processing-records", token: world.resellerAKey, headers: [.accept: "text/html"])
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.headers[.contentType]?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.body.contains("Record of processing activities"))
            XCTAssertTrue(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt; Cloud"))
            XCTAssertFalse(page.body.contains("<script>"), "values are escaped")
            let byQuery = try await client.call(.get, "/v1/processing-records?format=html", token: world.resellerAKey)
            XCTAssertTrue(byQuery.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }

    func testCasesComingDueAndScheduledPurgesAreAnnouncedOnce() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let received = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-26 * 86_400))
            let soon = try await client.call(.post, "/v1/data-subject-requests", token: world.resellerAKey,
                                             json: #"{"customerId":"\#(world.customerA1)","extension":"110","fullName":"Staff reseller","right":"access","receivedAt":"\#(received)"}"#)
            XCTAssertEqual(soon.status, .created)
            let terminated = try await client.call(.post, "/v1/customers/\(world.customerA2)/terminate", token: world.resellerAKey)
            XCTAssertEqual(terminated.status, .ok)
            try await database.withRunningApplicationClient(maxConnections: 2) { pool in
                let queue = WebhookDeliveryQueue(database: ScopedDatabase(client: pool))
                let first = try await queue.announceDueRequests(clock: Date(), logger: TestCluster.logger)
                XCTAssertEqual(first, 1, "only the case due within 7 days (the world's own is due in a month)")
                let again = try await queue.announceDueRequests(clock: Date(), logger: TestCluster.logger)
                XCTAssertEqual(again, 0, "announced once")
            }
            let log = try await client.call(.get, "/v1/webhooks/\(world.webhookA)/deliveries?limit=200", token: world.resellerAKey)
            let dueSoon = log.items.filter { $0["eventType"] as? String == "data-subject-request.due-soon" }
            XCTAssertEqual(dueSoon.count, 1)
            XCTAssertTrue((dueSoon.first?["body"] as? String)?.contains(try soon.string("id")) == true)
            let purge = log.items.filter { $0["eventType"] as? String == "customer.purge-scheduled" }
            XCTAssertEqual(purge.count, 1)
            XCTAssertTrue((purge.first?["body"] as? String)?.contains("purgeAfter") == true)
            XCTAssertFalse(log.body.contains("Staff reseller"), "no names in payloads")
        }
    }

    func testARotatedReceiptKeyLeavesOldReceiptsVerifiable() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let keys = try await database.keyStore()
        try await withTestApp(database, keyStore: keys) { client in
            let world = try await World.build(client, database: database)
            let first = try await client.call(.post, "/v1/employees/\(world.employees["reseller"]!.id)/anonymise", token: world.resellerAKey)
            let oldReceipt = try XCTUnwrap(first.json["signedReceipt"] as? [String: Any])
            let rotated = try await database.withAdmin { connection in
                try await ReceiptKeyring.rotate(keys: keys, on: connection, logger: TestCluster.logger)
            }
            let published = try await DataSubjectRequestTests.trustedKeys(client)
            XCTAssertEqual(published.count, 2)
            XCTAssertEqual(published[rotated.keyID], rotated.publicKey)
            XCTAssertTrue(ReceiptVerification.verify(try DataSubjectRequestTests.bytes(of: oldReceipt), trustedKeys: published).isValid)
            let second = try await client.call(.post, "/v1/employees/\(world.employees["manager"]!.id)/anonymise", token: world.resellerAKey)
            let newReceipt = try XCTUnwrap(second.json["signedReceipt"] as? [String: Any])
            XCTAssertEqual((newReceipt["signature"] as? [String: Any])?["keyId"] as? String, rotated.keyID.uuidString.lowercased())
            XCTAssertTrue(ReceiptVerification.verify(try DataSubjectRequestTests.bytes(of: newReceipt), trustedKeys: published).isValid)
            // A repeated erasure erases and signs nothing.
            let repeated = try await client.call(.post, "/v1/employees/\(world.employees["manager"]!.id)/anonymise", token: world.resellerAKey)
            XCTAssertNil(repeated.json["signedReceipt"])
        }
    }
}
