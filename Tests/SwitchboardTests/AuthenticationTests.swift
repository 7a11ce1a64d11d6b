import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

final class AuthenticationTests: XCTestCase {
    func testWrongPasswordAndUnknownEmailAnswerTheSame() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let wrong = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"not the password!"}"#)
            let unknown = try await client.call(.post, "/v1/sessions", json: #"{"email":"nobody@nowhere.example","password":"not the password!"}"#)
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertEqual(unknown.status, .unauthorized)
            XCTAssertEqual(wrong.json["detail"] as? String, unknown.json["detail"] as? String)
            XCTAssertEqual(wrong.headers[.wwwAuthenticate], "Bearer")
            // Upper-case e-mail logs in: addresses compare case-insensitively.
            let upper = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email.uppercased())","password":"\#(World.password)"}"#)
            XCTAssertEqual(upper.status, .created)
            // A login body past 8 KiB is refused before it is read.
            let padded = try await client.call(.post, "/v1/sessions", json: #"{"email":"x@x.example","password":"\#(String(repeating: "p", count: 9000))"}"#)
            XCTAssertEqual(padded.status, .contentTooLarge)
            // Text that is no address, even text PostgreSQL cannot store, answers the same 401 (found by the fuzzer as a 500).
            for email in [#"a\u0000b@x.example"#, String(repeating: "x", count: 5000), "\u{202E}@x"] {
                let odd = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(email)","password":"not the password!"}"#)
                XCTAssertEqual(odd.status, .unauthorized, odd.body)
            }
        }
    }

    func testRepeatedFailuresFromOneAddressMakeItWaitThenTheRightPasswordWorks() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for _ in 0..<5 {
                let reply = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"guess guess guess"}"#)
                XCTAssertEqual(reply.status, .unauthorized)
            }
            let waiting = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            try assertProblem(TestResponseShim(waiting), status: .tooManyRequests)
            // Once the window has passed, the right password works again and the account starts afresh.
            _ = try await database.withAdmin { connection in
                try await connection.query("UPDATE sb.login_throttle SET blocked_until = now() - interval '1 second'", logger: TestCluster.logger)
            }
            let unlocked = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(unlocked.status, .created, unlocked.body)
            let accountRows = try await database.withAdmin { connection in
                try await connection.query("SELECT count(*) FROM sb.login_throttle WHERE key LIKE 'account:%' AND failures > 0", logger: TestCluster.logger)
                    .collect().first?.decode(Int.self)
            }
            XCTAssertEqual(accountRows, 0)
        }
    }

    func testLoggedOutAndExpiredSessionsAreRefused() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let cache = CredentialCache()
        try await withTestApp(database, credentialCache: cache) { client in
            let world = try await World.build(client, database: database)
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA1Token); XCTAssertEqual(reply.status, .ok, reply.body) }
            do { let reply = try await client.call(.delete, "/v1/sessions/current", token: world.managerA1Token); XCTAssertEqual(reply.status, .noContent, reply.body) }
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA1Token); XCTAssertEqual(reply.status, .unauthorized, reply.body) }

            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA2Token); XCTAssertEqual(reply.status, .ok, reply.body) }
            let generation = cache.generation
            _ = try await database.withAdmin { connection in
                try await connection.query("UPDATE sb.sessions SET expires_at = now() - interval '1 second'", logger: TestCluster.logger)
            }
            // Changed outside the server: it learns of it from PostgreSQL's announcement, milliseconds later.
            let announced = ContinuousClock.now + .seconds(2)
            while cache.generation == generation, ContinuousClock.now < announced { try await Task.sleep(for: .milliseconds(1)) }
            XCTAssertNotEqual(cache.generation, generation, "the change was never announced")
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA2Token); XCTAssertEqual(reply.status, .unauthorized, reply.body) }
        }
    }

    func testMalformedAndForeignCredentialsAre401() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer short", "Bearer sbr_" + String(repeating: "A", count: 43), "Token \(world.resellerAKey)"] {
                let reply = try await client.call(.get, "/v1/me", headers: [.authorization: header])
                try assertProblem(TestResponseShim(reply), status: .unauthorized)
            }
            // A key's secret is its credential: a mangled one is unknown.
            let mangled = String(world.resellerAKey.dropLast()) + (world.resellerAKey.hasSuffix("A") ? "B" : "A")
            do { let reply = try await client.call(.get, "/v1/me", token: mangled); XCTAssertEqual(reply.status, .unauthorized, reply.body) }
        }
    }

    func testKeysAreMarkedUsedAtMostOncePerMinuteAndKeepTheirScope() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        // A resolved key is served from the credential cache for its lifetime; a short one here
        // stands for the minute after which the key is checked (and marked) again.
        let cacheLifetime = Duration.milliseconds(300)
        try await withTestApp(database, credentialCache: CredentialCache(lifetime: cacheLifetime)) { client in
            let world = try await World.build(client, database: database)
            func lastUsedSecondsAgo() async throws -> Double? {
                try await database.withAdmin { connection in
                    try await connection.query(
                        "SELECT extract(epoch FROM now() - last_used_at)::float8 FROM sb.reseller_api_keys WHERE reseller_id = \(UUID(uuidString: world.resellerA)!) AND last_used_at IS NOT NULL ORDER BY last_used_at DESC LIMIT 1",
                        logger: TestCluster.logger
                    ).collect().first?.decode(Double.self)
                }
            }
            for stale in [false, true] {
                if stale {
                    _ = try await database.withAdmin { connection in
                        try await connection.query("UPDATE sb.reseller_api_keys SET last_used_at = now() - interval '2 minutes'", logger: TestCluster.logger)
                    }
                    let secondsAgo = try await lastUsedSecondsAgo()
                    XCTAssertGreaterThan(secondsAgo ?? 0, 60)
                    try await Task.sleep(for: cacheLifetime * 2)
                }
                // Marking a stale key used goes back to the authenticator scope and then to the key's own.
                let me = try await client.call(.get, "/v1/me", token: world.resellerAKey)
                XCTAssertEqual(me.status, .ok, me.body)
                XCTAssertEqual(me.json["role"] as? String, "reseller")
                XCTAssertEqual(me.json["resellerId"] as? String, world.resellerA)
                let customers = try await client.call(.get, "/v1/customers", token: world.resellerAKey)
                XCTAssertEqual(customers.status, .ok, customers.body)
                XCTAssertFalse(customers.items.isEmpty)
                XCTAssertTrue(customers.items.allSatisfy { $0["resellerId"] as? String == world.resellerA }, customers.body)
                let secondsAgo = try await lastUsedSecondsAgo()
                XCTAssertLessThan(secondsAgo ?? .infinity, 30, "marked used")
            }
        }
    }

    func testSecretsAreStoredOnlyAsHashes() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let world = try await withTestApp(database) { client in try await World.build(client, database: database) }
        let dump = try await database.withAdmin { connection in
            try await connection.query("""
                SELECT string_agg(t::text, ' ') FROM (
                  SELECT k::text AS t FROM sb.reseller_api_keys k UNION ALL SELECT p::text FROM sb.platform_api_keys p
                  UNION ALL SELECT s::text FROM sb.sessions s UNION ALL SELECT m::text FROM sb.managers m) all_rows
                """, logger: TestCluster.logger).collect().first?.decode(String.self) ?? ""
        }
        for secret in [world.resellerAKey, world.platformKey, world.managerA1Token, World.password] {
            XCTAssertFalse(dump.contains(secret), "a secret is stored in clear")
        }
        XCTAssertTrue(dump.contains("$2b$"), "passwords are bcrypt hashes")
        XCTAssertTrue(world.resellerAKey.hasPrefix("sbr_") && world.resellerAKey.count >= 4 + 43, "256 bits after the prefix")
        XCTAssertTrue(world.managerA1Token.hasPrefix("sbs_"))
    }
}

/// Lets the problem-document assertion read a `Reply`.
struct TestResponseShim {
    let reply: Reply
    init(_ reply: Reply) { self.reply = reply }
}

func assertProblem(_ shim: TestResponseShim, status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) throws {
    let reply = shim.reply
    XCTAssertEqual(reply.status, status, reply.body, file: file, line: line)
    // The typed 412 (generated encoder) adds "; charset=utf-8", which the media type allows.
    XCTAssertTrue(reply.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(reply.headers[.contentType] ?? "none")", file: file, line: line)
    XCTAssertEqual(reply.json["status"] as? Int, status.code, file: file, line: line)
    XCTAssertNotNil(reply.json["requestId"] as? String, file: file, line: line)
}
