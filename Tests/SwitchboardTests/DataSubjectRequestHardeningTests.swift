import Foundation
import HummingbirdTesting
import PostgresNIO
import SwitchboardJobs
import SwitchboardStore
import XCTest

/// What an outside attack on issue 16 found, each kept from coming back.
final class DataSubjectRequestHardeningTests: XCTestCase {
    func testDatesOutsideYearsOneTo9999AndImpossibleDatesAreA400NotACrash() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            // PostgresNIO traps on a date it cannot encode: one such request used to take the server down.
            for query in ["to=300000-01-01T00:00:00Z", "from=-300000-01-01T00:00:00Z", "from=2026-02-30T00:00:00Z", "to=2026-12-01T24:00:00Z"] {
                let reply = try await client.call(.get, "/v1/audit-events?\(query)", token: world.managerA1Token)
                XCTAssertEqual(reply.status, .badRequest, query)
                // The problem names the parameter, not "the body".
                XCTAssertEqual(reply.fieldRules, ["\(query.prefix(while: { $0 != "=" }))/format"], query)
            }
            let answered = try await client.call(.get, "/v1/platform/traffic-data-requests?answered=maybe", token: world.platformKey)
            XCTAssertEqual(answered.fieldRules, ["answered/format"])
            let due = try await client.call(.get, "/v1/data-subject-requests?due=tomorrow", token: world.resellerAKey)
            XCTAssertEqual(due.fieldRules, ["due/format"])
            for received in ["-300000-01-01T00:00:00Z", "-2026-12-02T10:00:00Z", "2026-02-30T10:00:00Z", "99999-01-01T00:00:00Z"] {
                let reply = try await DataSubjectRequestTests.open(client, world, token: world.resellerAKey, extension: "100", name: "Staff manager",
                                                                   right: "access", receivedAt: received)
                XCTAssertEqual(reply.status, .badRequest, received)
            }
            let fine = try await client.call(.get, "/v1/audit-events?from=2026-01-01T00:00:00%2B01:00", token: world.managerA1Token)
            XCTAssertEqual(fine.status, .ok, "offsets still parse")
        }
    }

    func testOnlyThePersonsOwnNumbersCanBeForwardedAndCountsAreTheResellersOwn() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            // B's number (in B's stock), and A's number held by the other employee: neither is this person's.
            for number in [World.stockB.numbers[0], World.stockA.numbers[2]] {
                let reply = try await client.call(.post, "/v1/data-subject-requests/\(world.dataSubjectRequestA)/traffic-data", token: world.managerA1Token,
                                                  json: #"{"numbers":["\#(number)"],"from":"2026-11-01","to":"2026-12-31"}"#)
                XCTAssertEqual(reply.status, .unprocessableContent, number)
                XCTAssertEqual(reply.fieldRules, ["numbers[0]/held"], number)
            }
            let own = try await client.call(.post, "/v1/data-subject-requests/\(world.dataSubjectRequestA)/traffic-data", token: world.managerA1Token,
                                            json: #"{"numbers":["\#(World.stockA.numbers[0])"],"from":"2026-11-01","to":"2026-12-31"}"#)
            XCTAssertEqual(own.status, .created, own.body)
        }
    }

    func testARestrictedPersonMayObjectOnlyToReduceProcessingAndAnAnonymisedOneIsNotExported() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let person = world.employees["reseller"]!.id
            let restricted = try await client.call(.post, "/v1/employees/\(person)/restriction", token: world.resellerAKey, json: #"{"reason":"contested"}"#)
            XCTAssertEqual(restricted.status, .ok)
            func objection(_ answer: String) async throws -> Reply {
                let opened = try await DataSubjectRequestTests.open(client, world, token: world.resellerAKey, extension: "110", name: "Staff reseller", right: "objection")
                return try await client.call(.post, "/v1/data-subject-requests/\(try opened.string("id"))/fulfil", token: world.resellerAKey, json: answer)
            }
            let widens = try await objection(#"{"marketingConsent":true}"#)
            XCTAssertEqual(widens.status, .conflict)
            XCTAssertEqual(widens.json["type"] as? String, "urn:switchboard:problem:restricted")
            let relisted = try await objection(#"{"directoryListing":"listed"}"#)
            XCTAssertEqual(relisted.status, .conflict)
            let reduces = try await objection(#"{"marketingConsent":false,"directoryListing":"unlisted"}"#)
            XCTAssertEqual(reduces.status, .ok, reduces.body)

            // Cases opened before the person was anonymised by another route.
            let access = try await DataSubjectRequestTests.open(client, world, token: world.resellerAKey, extension: "100", name: "Staff manager", right: "access")
            let erasure = try await DataSubjectRequestTests.open(client, world, token: world.resellerAKey, extension: "100", name: "Staff manager", right: "erasure")
            let manager = world.employees["manager"]!.id
            let erased = try await client.call(.post, "/v1/employees/\(manager)/anonymise", token: world.resellerAKey)
            let released = (erased.json["signedReceipt"] as? [String: Any])?["released"] as? [String: Any]
            XCTAssertEqual(released?["numbers"] as? Int, 1, "the receipt counts released numbers and never names them")
            XCTAssertFalse(try JSONSerialization.data(withJSONObject: erased.json["signedReceipt"] ?? [:]).contains(Array(World.stockA.numbers[0].utf8)))
            let exported = try await client.call(.post, "/v1/data-subject-requests/\(try access.string("id"))/fulfil", token: world.resellerAKey, json: "{}")
            XCTAssertEqual(exported.status, .conflict)
            XCTAssertEqual(exported.json["type"] as? String, "urn:switchboard:problem:anonymised")
            let answered = try await client.call(.post, "/v1/data-subject-requests/\(try erasure.string("id"))/fulfil", token: world.resellerAKey, json: "{}")
            XCTAssertEqual(answered.status, .ok, answered.body)
            XCTAssertEqual((answered.json["anonymisation"] as? [String: Any])?["alreadyAnonymised"] as? Bool, true)
            XCTAssertNil((answered.json["anonymisation"] as? [String: Any])?["signedReceipt"], "nothing new was erased, so nothing new is signed")
        }
    }

    func testResellersTakeTurnsInTheDeliveryQueue() async throws {
        let (raw, tenants) = try await DataSubjectRequestIsolationTests.seeded()
        // A's backlog of 50 due deliveries, all older than B's one.
        try await raw.database.admin("""
            INSERT INTO sb.webhook_deliveries (reseller_id, id, subscription_id, event_id, event_type, body, next_attempt_at, created_at)
            SELECT '\(tenants.a)', gen_random_uuid(), '\(tenants.a)', gen_random_uuid(), 'receipt.issued', '{}', now() - interval '1 hour' - n * interval '1 second', now()
            FROM generate_series(1, 50) n
            """)
        let claimed = try await raw.database.withRunningApplicationClient(maxConnections: 2) { pool in
            try await WebhookDeliveryQueue(database: ScopedDatabase(client: pool)).claim(clock: Date(), lease: .seconds(60), limit: 2, logger: TestCluster.logger)
        }
        XCTAssertEqual(Set(claimed.map(\.resellerID)), [tenants.resellerA, tenants.resellerB], "B's one event is not queued behind A's 51")
    }
}
