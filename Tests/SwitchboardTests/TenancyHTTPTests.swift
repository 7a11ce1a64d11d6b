import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

final class TenancyHTTPTests: XCTestCase {
    func testMalformedJSONIs400AndWrongContentTypeIs415() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let malformed = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name": "#)
            try assertProblem(TestResponseShim(malformed), status: .badRequest)
            let missing = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"cvr":"12345678"}"#)
            try assertProblem(TestResponseShim(missing), status: .badRequest)
            XCTAssertEqual((missing.json["errors"] as? [[String: Any]])?.first?["field"] as? String, "name")
            let unknownField = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"x","nmae":"typo"}"#)
            try assertProblem(TestResponseShim(unknownField), status: .badRequest)
            let text = try await client.call(.post, "/v1/customers", token: world.resellerAKey, headers: [.contentType: "text/plain"])
            try assertProblem(TestResponseShim(text), status: .unsupportedMediaType)
            let xml = try await client.execute(uri: "/v1/customers", method: .post,
                                               headers: [.authorization: "Bearer \(world.resellerAKey)", .contentType: "application/xml"],
                                               body: ByteBuffer(string: "<customer/>")) { $0.status }
            XCTAssertEqual(xml, .unsupportedMediaType)
            let badID = try await client.call(.get, "/v1/customers/not-a-uuid", token: world.resellerAKey)
            try assertProblem(TestResponseShim(badID), status: .badRequest)
            let badLimit = try await client.call(.get, "/v1/customers?limit=0", token: world.resellerAKey)
            try assertProblem(TestResponseShim(badLimit), status: .badRequest)
            let badCursor = try await client.call(.get, "/v1/customers?cursor=zzz", token: world.resellerAKey)
            try assertProblem(TestResponseShim(badCursor), status: .badRequest)
        }
    }

    func testValidationNamesEveryFieldAndRule() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let reply = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"   ","cvr":"12ab5678"}"#)
            try assertProblem(TestResponseShim(reply), status: .unprocessableContent)
            let errors = (reply.json["errors"] as? [[String: String]]) ?? []
            XCTAssertEqual(Set(errors.map { "\($0["field"]!)/\($0["rule"]!)" }), ["name/minLength", "cvr/format"])
            let reseller = try await client.call(.post, "/v1/resellers", token: world.platformKey,
                                                 json: #"{"name":"R","contact":{"email":"not-an-email","phone":"12345"}}"#)
            let resellerErrors = (reseller.json["errors"] as? [[String: String]]) ?? []
            XCTAssertEqual(Set(resellerErrors.map { $0["field"]! }), ["contact.email", "contact.phone"])
            let manager = try await client.call(.post, "/v1/customers/\(world.customerA1)/managers", token: world.resellerAKey,
                                                json: #"{"email":"m@x.example","password":"short","fullName":"M"}"#)
            XCTAssertEqual(((manager.json["errors"] as? [[String: String]]) ?? []).first?["field"], "password")
            // Nothing was half-written: the customer list is unchanged.
            let list = try await client.call(.get, "/v1/customers", token: world.resellerAKey)
            XCTAssertEqual(list.items.count, 2)
        }
    }

    func testExternalReferenceIsUniqueWithinAResellerOnly() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let first = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"One","externalRef":"CRM-1"}"#)
            XCTAssertEqual(first.status, .created)
            let duplicate = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"Two","externalRef":"CRM-1"}"#)
            try assertProblem(TestResponseShim(duplicate), status: .conflict)
            XCTAssertEqual(((duplicate.json["errors"] as? [[String: String]]) ?? []).first?["field"], "externalRef")
            let otherReseller = try await client.call(.post, "/v1/customers", token: world.resellerBKey, json: #"{"name":"Three","externalRef":"CRM-1"}"#)
            XCTAssertEqual(otherReseller.status, .created, "another reseller may use the same reference")
        }
    }

    func testManagersNeedTheAcceptedAgreement() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let fresh = try await client.call(.post, "/v1/resellers", token: world.platformKey, json: #"{"name":"Fresh"}"#).string("id")
            let key = try await client.call(.post, "/v1/resellers/\(fresh)/api-keys", token: world.platformKey, json: #"{"name":"k"}"#).string("secret")
            let customer = try await client.call(.post, "/v1/customers", token: key, json: #"{"name":"C"}"#).string("id")
            let body = #"{"email":"dpa@x.example","password":"correct horse battery","fullName":"D"}"#
            let refused = try await client.call(.post, "/v1/customers/\(customer)/managers", token: key, json: body)
            try assertProblem(TestResponseShim(refused), status: .conflict)
            XCTAssertEqual(refused.json["type"] as? String, "urn:switchboard:problem:dpa-required")
            let status = try await client.call(.get, "/v1/dpa", token: key)
            XCTAssertEqual(status.json["accepted"] as? Bool, false)
            let wrongVersion = try await client.call(.post, "/v1/dpa/acceptances", token: key, json: #"{"version":"1999-01"}"#)
            XCTAssertEqual(wrongVersion.status, .conflict)
            do { let reply = try await client.call(.post, "/v1/dpa/acceptances", token: key, json: #"{"version":"2026-01"}"#); XCTAssertEqual(reply.status, .created, reply.body) }
            do { let reply = try await client.call(.post, "/v1/customers/\(customer)/managers", token: key, json: body); XCTAssertEqual(reply.status, .created, reply.body) }
        }
        // The database enforces it too: the policy refuses a manager row for a reseller without an acceptance.
        let tenants = SeededTenants()
        try await tenants.seed(database)
        _ = try await database.withAdmin { connection in
            try await connection.query("DELETE FROM sb.dpa_acceptances WHERE reseller_id = \(tenants.resellerA)", logger: TestCluster.logger)
        }
        let insert = try await RawSession(database: database).execute(
            "INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash) VALUES ('\(tenants.a)', '\(tenants.customerA1)', gen_random_uuid(), 'no-dpa@x.example', 'N', 'x')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(insert.sqlState, "42501")
    }

    func testStaleETagIs412AndChangesNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let read = try await client.call(.get, "/v1/customers/\(world.customerA1)", token: world.resellerAKey)
            let etag = try XCTUnwrap(read.headers[.eTag])
            let first = try await client.call(.patch, "/v1/customers/\(world.customerA1)", token: world.resellerAKey,
                                              json: #"{"name":"First writer"}"#, headers: [.ifMatch: etag])
            XCTAssertEqual(first.status, .ok)
            XCTAssertNotEqual(first.headers[.eTag], etag)
            let second = try await client.call(.patch, "/v1/customers/\(world.customerA1)", token: world.resellerAKey,
                                               json: #"{"name":"Second writer"}"#, headers: [.ifMatch: etag])
            try assertProblem(TestResponseShim(second), status: .preconditionFailed)
            let after = try await client.call(.get, "/v1/customers/\(world.customerA1)", token: world.resellerAKey)
            XCTAssertEqual(after.json["name"] as? String, "First writer")
            // Clearing an optional field with an empty string.
            _ = try await client.patchReadingETag("/v1/customers/\(world.customerA1)", token: world.resellerAKey, json: #"{"cvr":"12345678"}"#)
            let cleared = try await client.patchReadingETag("/v1/customers/\(world.customerA1)", token: world.resellerAKey, json: #"{"cvr":""}"#)
            XCTAssertNil(cleared.json["cvr"])
        }
    }

    func testListsPaginateInCreationOrderAndPlatformSeesMetadataOnly() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for index in 0..<5 {
                _ = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"Extra \#(index)","cvr":"1234567\#(index)"}"#)
            }
            var names: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.call(.get, "/v1/customers?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), token: world.resellerAKey)
                XCTAssertEqual(page.status, .ok)
                XCTAssertLessThanOrEqual(page.items.count, 3)
                names += page.items.compactMap { $0["name"] as? String }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            XCTAssertEqual(names, ["A1 ApS", "A2 ApS", "Extra 0", "Extra 1", "Extra 2", "Extra 3", "Extra 4"])
            let platform = try await client.call(.get, "/v1/customers?limit=200", token: world.platformKey)
            XCTAssertEqual(platform.items.count, 8)
            XCTAssertTrue(platform.items.allSatisfy { $0["cvr"] == nil && $0["externalRef"] == nil }, "metadata only")
            let manager = try await client.call(.get, "/v1/customers", token: world.managerA1Token)
            XCTAssertEqual(manager.items.compactMap { $0["id"] as? String }, [world.customerA1])
        }
    }

    func testBootstrapAdoptsTheTokenOnceOrGeneratesAKey() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let outcomes = try await database.withRunningApplicationClient { pool in
            let scoped = ScopedDatabase(client: pool)
            let first = try await PlatformBootstrap.ensureAdminKey(database: scoped, token: "sbp_operator_chosen_token_0000000042", logger: TestCluster.logger)
            let second = try await PlatformBootstrap.ensureAdminKey(database: scoped, token: "sbp_another_token_ignored_00000000000", logger: TestCluster.logger)
            return (first, second)
        }
        XCTAssertEqual(outcomes.0, .adoptedToken)
        XCTAssertEqual(outcomes.1, .alreadyBootstrapped, "only an empty database is bootstrapped")
        try await withTestApp(database) { client in
            let me = try await client.call(.get, "/v1/me", token: "sbp_operator_chosen_token_0000000042")
            XCTAssertEqual(me.json["role"] as? String, "platform")
            do { let reply = try await client.call(.get, "/v1/me", token: "sbp_another_token_ignored_00000000000"); XCTAssertEqual(reply.status, .unauthorized, reply.body) }
        }

        let empty = try await TestCluster.shared.migratedDatabase()
        let generated = try await empty.withRunningApplicationClient { pool in
            try await PlatformBootstrap.ensureAdminKey(database: ScopedDatabase(client: pool), token: nil, logger: TestCluster.logger)
        }
        guard case .generated(let secret) = generated else { return XCTFail("no key generated: \(generated)") }
        XCTAssertTrue(secret.hasPrefix("sbp_"))
        try await withTestApp(empty) { client in
            do { let reply = try await client.call(.get, "/v1/me", token: secret); XCTAssertEqual(reply.status, .ok, reply.body) }
        }
    }
}

/// Over a real socket: a rendered list body goes out with its own Content-Length, not the one the
/// generated code set for the empty stand-in (the router-mode client does not check framing).
final class RenderedBodyFramingTests: XCTestCase {
    func testListPagesAreFramedByTheirOwnLength() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live) { client in
            let world = try await World.build(client, database: database)
            for path in ["/v1/customers?limit=50", "/v1/customers/\(world.customerA1)/employees?limit=50"] {
                let response = try await client.call(.get, path, token: world.resellerAKey)
                XCTAssertEqual(response.status, .ok, path)
                XCTAssertEqual(response.headers[.contentLength], String(response.body.utf8.count), path)
                XCTAssertFalse(response.items.isEmpty, "\(path): \(response.body)")
            }
        }
    }
}
