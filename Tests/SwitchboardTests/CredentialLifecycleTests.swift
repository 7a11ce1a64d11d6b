import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// Issue 11, point 9: every credential can be ended, a reseller that lost its keys can come back
/// (audited, never beside a live key), failed logins slow down without handing strangers a
/// lock-out switch, and suspension ends sessions for good.
final class CredentialLifecycleTests: XCTestCase {
    // MARK: telephony keys

    func testThePlatformListsAndRevokesTelephonyKeysAndARevokedKeyStopsAtOnce() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let list = try await client.call(.get, "/v1/telephony-keys", token: world.platformKey)
            XCTAssertEqual(list.status, .ok, list.body)
            XCTAssertEqual(Set(list.items.compactMap { $0["name"] as? String }), ["pbx", "spare pbx"])
            XCTAssertFalse(list.body.contains(world.telephonyKey), "the list must not carry a secret")
            XCTAssertFalse(list.body.contains(String(world.telephonyKey.dropFirst(12))), "nor any of it beyond the display prefix")
            for item in list.items {
                XCTAssertTrue(Set(item.keys).isSubset(of: ["id", "name", "prefix", "createdAt", "lastUsedAt", "revokedAt"]), "\(item.keys)")
                XCTAssertTrue((item["prefix"] as? String)?.hasPrefix("sbt_") ?? false)
            }
            let pbxID = try XCTUnwrap(list.items.first { $0["name"] as? String == "pbx" }?["id"] as? String)
            XCTAssertNotNil(list.items.first { $0["name"] as? String == "pbx" }?["lastUsedAt"], "seeding used it")

            // Only the platform: a reseller may neither list nor revoke them.
            do { let reply = try await client.call(.get, "/v1/telephony-keys", token: world.resellerAKey); try assertProblem(TestResponseShim(reply), status: .forbidden) }
            do { let reply = try await client.call(.delete, "/v1/telephony-keys/\(pbxID)", token: world.resellerAKey); try assertProblem(TestResponseShim(reply), status: .forbidden) }

            let employee = world.employees["manager"]!.id
            func store() async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/v1/telephony/employees/\(employee)/content?kind=voicemail", method: .post,
                    headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"], body: ByteBuffer(string: "RIFF-after")
                ) { $0.status }
            }
            let storedBeforeRevocation = try await store()
            XCTAssertEqual(storedBeforeRevocation, .created)
            let revoked = try await client.call(.delete, "/v1/telephony-keys/\(pbxID)", token: world.platformKey)
            XCTAssertEqual(revoked.status, .noContent, revoked.body)
            let storedAfterRevocation = try await store()
            XCTAssertEqual(storedAfterRevocation, .unauthorized, "a revoked telephony key is refused at once")
            let after = try await client.call(.get, "/v1/telephony-keys", token: world.platformKey)
            XCTAssertNotNil(after.items.first { $0["id"] as? String == pbxID }?["revokedAt"])
        }
        let audited = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT count(*) FROM sb.audit_events WHERE chain = 'platform' AND action = 'telephony_key.revoke'", logger: TestCluster.logger
            ).collect().first!.decode(Int.self)
        }
        XCTAssertEqual(audited, 1)
    }

    // MARK: recovery of a reseller without keys

    func testRecoveryWorksOnlyForAResellerWithoutALiveKeyAndLandsInItsOwnTrail() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let (world, recoveredID) = try await withTestApp(database) { client -> (World, String) in
            let world = try await World.build(client, database: database)
            let recovery = "/v1/resellers/\(world.resellerA)/api-keys/recovery"
            let refused = try await client.call(.post, recovery, token: world.platformKey, json: #"{"name":"recovery"}"#)
            try assertProblem(TestResponseShim(refused), status: .conflict)
            XCTAssertEqual(refused.json["type"] as? String, "urn:switchboard:problem:reseller-has-live-key")
            let neverOnboarded = try await client.call(.post, "/v1/resellers/\(world.resellerWithoutKey)/api-keys/recovery", token: world.platformKey, json: #"{"name":"r"}"#)
            XCTAssertEqual(neverOnboarded.status, .conflict)
            XCTAssertEqual(neverOnboarded.json["type"] as? String, "urn:switchboard:problem:not-onboarded")
            do { let reply = try await client.call(.post, recovery, token: world.resellerAKey, json: #"{"name":"r"}"#); XCTAssertEqual(reply.status, .forbidden) }

            // The reseller revokes every key it has, its own last.
            let ownID = try await client.call(.get, "/v1/me", token: world.resellerAKey).string("principalId")
            let keys = try await client.call(.get, "/v1/api-keys", token: world.resellerAKey)
            for case let id as String in keys.items.map({ $0["id"] }) where id != ownID {
                let revokedOther = try await client.call(.delete, "/v1/api-keys/\(id)", token: world.resellerAKey).status
                XCTAssertEqual(revokedOther, .noContent)
            }
            let revokedOwn = try await client.call(.delete, "/v1/api-keys/\(ownID)", token: world.resellerAKey).status
            XCTAssertEqual(revokedOwn, .noContent)
            let ownKeyAfterRevocation = try await client.call(.get, "/v1/me", token: world.resellerAKey).status
            XCTAssertEqual(ownKeyAfterRevocation, .unauthorized)

            let recovered = try await client.call(.post, recovery, token: world.platformKey, json: #"{"name":"recovery"}"#)
            XCTAssertEqual(recovered.status, .created, recovered.body)
            let secret = try recovered.string("secret")
            XCTAssertTrue(secret.hasPrefix("sbr_"))
            let me = try await client.call(.get, "/v1/me", token: secret)
            XCTAssertEqual(me.json["resellerId"] as? String, world.resellerA)
            // It revoked nothing and is now the live key, so a second recovery is refused.
            let again = try await client.call(.post, recovery, token: world.platformKey, json: #"{"name":"again"}"#)
            XCTAssertEqual(again.status, .conflict)
            // The reseller sees the key the platform issued among its own.
            let ownList = try await client.call(.get, "/v1/api-keys", token: secret)
            let recoveredID = try recovered.string("id")
            XCTAssertTrue(ownList.items.contains { $0["id"] as? String == recoveredID && $0["revokedAt"] == nil }, ownList.body)
            return (world, recoveredID)
        }
        let chains = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT chain, role FROM sb.audit_events WHERE action = 'api_key.recover' AND target_id = \(UUID(uuidString: recoveredID)!) ORDER BY chain",
                logger: TestCluster.logger
            ).collect().map { try $0.decode((String, String).self) }
        }
        XCTAssertEqual(chains.map(\.0), [world.resellerA, "platform"].sorted(), "in the reseller's own chain and the platform's")
        XCTAssertTrue(chains.allSatisfy { $0.1 == "sb_platform" })
        let report = try await database.withAdmin { try await AuditVerifier.verify(on: $0, logger: TestCluster.logger) }
        XCTAssertNil(report.firstBreak)
    }

    func testRawSQLAsThePlatformMintsAResellerKeyOnlyWithoutALiveOne() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let raw = RawSession(database: database)
        func mint(for reseller: String) async throws -> RawSession.Outcome {
            try await raw.execute(
                "INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by) VALUES ('\(reseller)', gen_random_uuid(), 'x', '\\x77', 'x', gen_random_uuid())",
                role: "sb_platform", settings: tenants.platformSettings
            )
        }
        let mintWhileLive = try await mint(for: tenants.a).sqlState
        XCTAssertEqual(mintWhileLive, "42501", "A has a live key")
        _ = try await database.withAdmin { connection in
            try await connection.query("UPDATE sb.reseller_api_keys SET revoked_at = now() WHERE reseller_id = \(tenants.resellerA)", logger: TestCluster.logger)
        }
        let mintAfterAllRevoked = try await mint(for: tenants.a).sqlState
        XCTAssertNil(mintAfterAllRevoked, "A has no live key left: recovery")
        let mintForOtherReseller = try await mint(for: tenants.b).sqlState
        XCTAssertEqual(mintForOtherReseller, "42501", "B still has its live key")
        let withoutPrincipal = try await raw.execute(
            "INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'x', '\\x78', 'x', gen_random_uuid())",
            role: "sb_platform"
        )
        XCTAssertEqual(withoutPrincipal.sqlState, "42501", "no unattributed recovery")
    }

    // MARK: suspension

    func testSessionsOpenedBeforeASuspensionStayDeadAfterReactivation() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let sessionBefore = try await client.call(.get, "/v1/me", token: world.managerA1Token).status
            XCTAssertEqual(sessionBefore, .ok)
            let suspended = try await client.patchReadingETag("/v1/resellers/\(world.resellerA)", token: world.platformKey, json: #"{"status":"suspended"}"#)
            XCTAssertEqual(suspended.status, .ok, suspended.body)
            let reactivated = try await client.patchReadingETag("/v1/resellers/\(world.resellerA)", token: world.platformKey, json: #"{"status":"active"}"#)
            XCTAssertEqual(reactivated.status, .ok, reactivated.body)
            let sessionA1After = try await client.call(.get, "/v1/me", token: world.managerA1Token).status
            XCTAssertEqual(sessionA1After, .unauthorized, "ended at suspension, for good")
            let sessionA2After = try await client.call(.get, "/v1/me", token: world.managerA2Token).status
            XCTAssertEqual(sessionA2After, .unauthorized)
            let resellerKeyAfter = try await client.call(.get, "/v1/me", token: world.resellerAKey).status
            XCTAssertEqual(resellerKeyAfter, .ok, "API keys survive a suspension")
            let login = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(login.status, .created, login.body)
            let newSession = try await client.call(.get, "/v1/me", token: try login.string("token")).status
            XCTAssertEqual(newSession, .ok, "a new login after reactivation works")
        }
    }

    /// The database ends the sessions whichever path suspends the reseller, even raw SQL as the platform.
    func testASuspensionWrittenAsRawSQLEndsTheResellersSessions() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let live = try await database.withAdmin { connection -> [Int] in
            let logger = TestCluster.logger
            func liveSessions() async throws -> [Int] {
                try await connection.query(
                    "SELECT count(*) FILTER (WHERE reseller_id = \(tenants.resellerA)), count(*) FILTER (WHERE reseller_id = \(tenants.resellerB)) FROM sb.sessions WHERE revoked_at IS NULL",
                    logger: logger
                ).collect().map { try $0.decode((Int, Int).self) }.flatMap { [$0.0, $0.1] }
            }
            let before = try await liveSessions()
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SET LOCAL ROLE sb_platform", logger: logger)
            try await connection.query("SELECT set_config('sb.principal_id', \(tenants.platformKey.uuidString), true)", logger: logger)
            try await connection.query("UPDATE sb.resellers SET status = 'suspended' WHERE id = \(tenants.resellerA)", logger: logger)
            try await connection.query("UPDATE sb.resellers SET status = 'active' WHERE id = \(tenants.resellerA)", logger: logger)
            try await connection.query("RESET ROLE", logger: logger)
            let after = try await liveSessions()
            try await connection.query("ROLLBACK", logger: logger)
            return before + after
        }
        XCTAssertEqual(live, [1, 1, 0, 1], "A's session ended by the suspension and stayed ended; B's untouched")
    }

    // MARK: login throttling

    /// Requests come from the in-process client (`local`), trusted as a proxy, so `X-Forwarded-For` names the source.
    private static func login(_ client: some TestClientProtocol, _ email: String, _ password: String, from address: String) async throws -> Reply {
        try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(email)","password":"\#(password)"}"#, headers: [.xForwardedFor: address])
    }

    func testAStrangerFailingFromOneAddressIsThrottledButDoesNotKeepTheManagerOut() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, trustedProxies: [ClientAddress.unknownPeer]) { client in
            let world = try await World.build(client, database: database)
            let stranger = "203.0.113.7"
            for _ in 0..<5 {
                let guess = try await Self.login(client, world.managerA1Email, "a stranger's guess", from: stranger).status
                XCTAssertEqual(guess, .unauthorized)
            }
            let throttled = try await Self.login(client, world.managerA1Email, "a stranger's guess", from: stranger)
            try assertProblem(TestResponseShim(throttled), status: .tooManyRequests)
            let retryAfter = try XCTUnwrap(throttled.headers[.retryAfter].flatMap(Int.init), "Retry-After in seconds")
            XCTAssertTrue((1...5).contains(retryAfter), "\(retryAfter)")
            // The same answer for an unknown e-mail: the throttle reveals nothing about who exists.
            let unknown = try await Self.login(client, "nobody@nowhere.example", "a stranger's guess", from: stranger)
            XCTAssertEqual(unknown.status, .tooManyRequests)
            XCTAssertEqual(unknown.json["detail"] as? String, throttled.json["detail"] as? String)

            let manager = try await Self.login(client, world.managerA1Email, World.password, from: "198.51.100.2")
            XCTAssertEqual(manager.status, .created, "the manager's own address is not the stranger's: \(manager.body)")
        }
    }

    func testTheAccountLimitsGuessesFromManyAddressesTogether() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        var rule = LoginThrottleRule()
        rule.accountBaseSeconds = 60  // one window longer than the test, so timing cannot flake
        let ruleForApp = rule
        let world = try await withTestApp(database, maxConnections: 8, trustedProxies: [ClientAddress.unknownPeer], loginThrottle: ruleForApp) { client -> World in
            let world = try await World.build(client, database: database)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<16 {
                    group.addTask { try await Self.login(client, world.managerA1Email, "guess \(index)", from: "192.0.2.\(index + 1)").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .unauthorized }.count, ruleForApp.accountFreeFailures, "\(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .tooManyRequests }.count, 16 - ruleForApp.accountFreeFailures, "\(statuses)")
            let fresh = try await Self.login(client, world.managerA1Email, World.password, from: "198.51.100.9")
            XCTAssertEqual(fresh.status, .tooManyRequests, "the account's window holds for every address the account never logged in from")
            // The address the manager logged in from while seeding (no X-Forwarded-For: the unknown peer) is not held.
            let owner = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(owner.status, .created, "strangers' failures elsewhere cannot keep the owner out: \(owner.body)")
            // The owner's login started the account afresh; a stranger's guess from a new address counts from zero again.
            let strangerAgain = try await Self.login(client, world.managerA1Email, "guess again", from: "198.51.100.77")
            XCTAssertEqual(strangerAgain.status, .unauthorized)
            _ = try await database.withAdmin { connection in
                try await connection.query("UPDATE sb.login_throttle SET blocked_until = now() - interval '1 second' WHERE key LIKE 'account:%'", logger: TestCluster.logger)
            }
            let afterWindow = try await Self.login(client, world.managerA1Email, World.password, from: "198.51.100.9")
            XCTAssertEqual(afterWindow.status, .created, "the right password after the window: \(afterWindow.body)")
            return world
        }
        let checked = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT count(*) FROM sb.audit_events a JOIN sb.managers m ON m.id = a.principal_id WHERE a.action = 'login.attempt' AND m.email = \(world.managerA1Email)",
                logger: TestCluster.logger
            ).collect().first!.decode(Int.self)
        }
        XCTAssertEqual(checked, 1 + rule.accountFreeFailures + 3, "seeding, the free guesses, the owner, one new guess, the manager: no other password was checked")
    }

    func testTheClientAddressBelievesOnlyTrustedProxies() {
        XCTAssertEqual(ClientAddress.resolve(peer: "198.51.100.1", forwardedFor: "203.0.113.9", trustedProxies: []), "198.51.100.1")
        XCTAssertEqual(ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: "1.2.3.4, 203.0.113.9", trustedProxies: ["10.0.0.5"]), "203.0.113.9",
                       "the entry the trusted proxy appended, not one the client wrote")
        XCTAssertEqual(ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: "203.0.113.9, 10.0.0.6", trustedProxies: ["10.0.0.5", "10.0.0.6"]), "203.0.113.9")
        XCTAssertEqual(ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: "<script>", trustedProxies: ["10.0.0.5"]), "10.0.0.5")
        XCTAssertEqual(ClientAddress.resolve(peer: nil, forwardedFor: nil, trustedProxies: []), ClientAddress.unknownPeer)
    }
}
