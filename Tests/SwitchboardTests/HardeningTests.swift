import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// Attacks found in review: each must stay closed.
final class HardeningTests: XCTestCase {
    func testParallelGuessesCannotOutrunTheLockout() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let world = try await withTestApp(database, maxConnections: 8) { client -> World in
            let world = try await World.build(client, database: database)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"guess number \#(index)"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .unauthorized }.count, 5, "\(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .tooManyRequests }.count, 11, "\(statuses)")
            let right = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(right.status, .tooManyRequests, "the guessing address must wait, even with the right password")
            return world
        }
        let attempts = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT count(*) FROM sb.audit_events a JOIN sb.managers m ON m.id = a.principal_id WHERE a.action = 'login.attempt' AND m.email = \(world.managerA1Email)",
                logger: TestCluster.logger
            ).collect().first!.decode(Int.self)
        }
        // One attempt from seeding (a successful login), then exactly the source's 5 free failures out of 16 guesses.
        XCTAssertEqual(attempts, 1 + 5, "no more than 5 guesses were checked before the backoff")
    }

    func testSuspendedResellersAndTerminatedCustomersLoseTheirCredentials() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let terminated = try await client.call(.post, "/v1/customers/\(world.customerA1)/terminate", token: world.resellerAKey)
            XCTAssertEqual(terminated.status, .ok)
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA1Token); XCTAssertEqual(reply.status, .unauthorized) }
            let login = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(login.status, .unauthorized)
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA2Token); XCTAssertEqual(reply.status, .ok, "the other company is unaffected") }

            let suspended = try await client.patchReadingETag("/v1/resellers/\(world.resellerA)", token: world.platformKey, json: #"{"status":"suspended"}"#)
            XCTAssertEqual(suspended.status, .ok)
            do { let reply = try await client.call(.get, "/v1/me", token: world.resellerAKey); XCTAssertEqual(reply.status, .unauthorized) }
            do { let reply = try await client.call(.get, "/v1/me", token: world.managerA2Token); XCTAssertEqual(reply.status, .unauthorized) }
            do { let reply = try await client.call(.get, "/v1/me", token: world.resellerBKey); XCTAssertEqual(reply.status, .ok) }
            _ = try await client.patchReadingETag("/v1/resellers/\(world.resellerA)", token: world.platformKey, json: #"{"status":"active"}"#)
            do { let reply = try await client.call(.get, "/v1/me", token: world.resellerAKey); XCTAssertEqual(reply.status, .ok, "reactivation restores access") }
        }
    }

    func testThePlatformCannotMintASecondKeyForAReseller() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let outcome = try await RawSession(database: database).execute(
            "INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by) VALUES ('\(tenants.a)', gen_random_uuid(), 'x', '\\x77', 'x', gen_random_uuid())",
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertEqual(outcome.sqlState, "42501", "the policy itself refuses a second platform-minted key")
    }

    func testNoRoleCanForgeAnotherRoleInTheAuditTrail() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let raw = RawSession(database: database)
        let forged = try await raw.execute(
            "INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, action) VALUES ('\(tenants.a)', '\(tenants.keyA)', 'api_key', 'sb_platform', '\(tenants.a)', 'x')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(forged.sqlState, "42501")
        let honest = try await raw.execute(
            "INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, action) VALUES ('\(tenants.a)', '\(tenants.keyA)', 'api_key', 'sb_reseller', '\(tenants.a)', 'x')",
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertNil(honest.sqlState)
        let loginForSomeoneElse = try await raw.execute(
            "INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, customer_id, action) VALUES ('\(tenants.b)', '\(tenants.managerB1)', 'login', 'sb_authenticator', '\(tenants.b)', '\(tenants.customerB1)', 'login.attempt')",
            role: "sb_authenticator", settings: ["sb.login_email": "a1@x.example"]
        )
        XCTAssertEqual(loginForSomeoneElse.sqlState, "42501", "login events only for the e-mail being checked")
        // The authenticator's one way into the trail checks the same (migration 0031).
        func loginEntry(_ manager: UUID, _ reseller: String, _ customer: UUID, _ action: String, role: String = "sb_authenticator") async throws -> String? {
            try await raw.execute(
                "SELECT sb.append_login_entry('\(manager)', '\(reseller)', '\(customer)', '\(action)', '\(manager)', '{}')",
                role: role, settings: ["sb.login_email": "a1@x.example", "sb.principal_id": tenants.keyA.uuidString, "sb.reseller_id": tenants.a]
            ).sqlState
        }
        let someoneElsesThroughTheCheck = try await loginEntry(tenants.managerB1, tenants.b, tenants.customerB1, "login.attempt")
        XCTAssertEqual(someoneElsesThroughTheCheck, "42501", "the check names the login e-mail's manager only")
        let ownThroughTheCheck = try await loginEntry(tenants.managerA1, tenants.a, tenants.customerA1, "login.attempt")
        XCTAssertNil(ownThroughTheCheck, "the e-mail's own manager's attempt is recorded")
        let otherAction = try await loginEntry(tenants.managerA1, tenants.a, tenants.customerA1, "customer.create")
        XCTAssertEqual(otherAction, "42501", "only login events")
        let byAReseller = try await loginEntry(tenants.managerA1, tenants.a, tenants.customerA1, "login.attempt", role: "sb_reseller")
        XCTAssertEqual(byAReseller, "42501", "only the authenticator may call it")
    }

    /// A member of staff's session is opened only through the checking function (migration 0036),
    /// and only for the member the login e-mail names.
    func testStaffSessionsOpenOnlyForTheLoginBeingChecked() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let ops = UUID(), audit = UUID()
        try await raw.database.withAdmin { connection in
            try await connection.query(
                """
                INSERT INTO sb.platform_staff (id, email, full_name, password_hash, duties, created_by) VALUES
                  (\(ops), 'ops@x.example', 'Ops', 'x', '{operator}', \(tenants.platformKey)),
                  (\(audit), 'audit@x.example', 'Audit', 'x', '{legal}', \(tenants.platformKey))
                """,
                logger: TestCluster.logger
            )
        }
        let checking = ["sb.login_email": "ops@x.example"]
        let direct = try await raw.execute(
            "INSERT INTO sb.platform_sessions (id, staff_id, token_hash, expires_at) VALUES (gen_random_uuid(), '\(ops)', '\\x0a', now() + interval '1 hour')",
            role: "sb_authenticator", settings: checking
        )
        XCTAssertEqual(direct.sqlState, "42501", "no direct insert")
        func open(_ staff: UUID) async throws -> String? {
            try await raw.execute("SELECT sb.open_staff_session(gen_random_uuid(), '\(staff)', '\\x0b', now() + interval '1 hour')",
                                  role: "sb_authenticator", settings: checking).sqlState
        }
        let someoneElse = try await open(audit)
        XCTAssertEqual(someoneElse, "42501", "not for a member the e-mail does not name")
        let named = try await open(ops)
        XCTAssertNil(named, "the e-mail's own member")
    }

    /// With the rights to raise alerts itself (0034), the platform raises them open and changes only
    /// live ones: a resolved alert's evidence stays as it was resolved.
    func testThePlatformCannotRewriteAResolvedFraudAlert() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let resolved = UUID()
        try await raw.database.withAdmin { connection in
            try await connection.query(
                """
                INSERT INTO sb.fraud_alerts (reseller_id, id, rule, served_number, level, state, window_start, window_end, measure, calls, cost,
                                             resolved_at, resolved_by, resolution)
                VALUES (\(tenants.resellerA), \(resolved), 'short-call-flood', '+4511100000', 'warning', 'resolved', now(), now(), 5, 5, 0,
                        now(), \(tenants.platformKey), 'checked')
                """,
                logger: TestCluster.logger
            )
        }
        let rewritten = try await raw.values(
            "UPDATE sb.fraud_alerts SET measure = 999, window_end = now() + interval '10 years' WHERE id = '\(resolved)' RETURNING id::text",
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertEqual(rewritten, [], "a resolved alert is not changed")
        let raisedResolved = try await raw.execute(
            """
            INSERT INTO sb.fraud_alerts (reseller_id, id, rule, served_number, level, state, window_start, window_end, measure, calls, cost)
            VALUES ('\(tenants.a)', gen_random_uuid(), 'short-call-flood', '+4511100000', 'warning', 'acknowledged', now(), now(), 1, 1, 0)
            """,
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertEqual(raisedResolved.sqlState, "42501", "alerts are raised open")
        let raisedOpen = try await raw.execute(
            """
            INSERT INTO sb.fraud_alerts (reseller_id, id, rule, served_number, level, window_start, window_end, measure, calls, cost)
            VALUES ('\(tenants.a)', gen_random_uuid(), 'high-cost-burst', '+4511100000', 'warning', now(), now(), 1, 1, 0)
            """,
            role: "sb_platform", settings: tenants.platformSettings
        )
        XCTAssertNil(raisedOpen.sqlState)
        let byAReseller = try await raw.execute(
            """
            INSERT INTO sb.fraud_alerts (reseller_id, id, rule, served_number, level, window_start, window_end, measure, calls, cost)
            VALUES ('\(tenants.a)', gen_random_uuid(), 'high-cost-burst', '+4511100000', 'warning', now(), now(), 1, 1, 0)
            """,
            role: "sb_reseller", settings: tenants.resellerSettingsA
        )
        XCTAssertEqual(byAReseller.sqlState, "42501", "resellers raise no alerts")
    }

    /// The fraud rules and statements run with the platform's rights (migrations 0034, 0038); what
    /// they send goes through an outlet that carries the platform's own kinds of event and nothing
    /// else, and no scope reaches the outbox itself.
    func testThePlatformSendsOnlyItsOwnEventsThroughItsOutlet() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        func outlet(_ function: String, _ kind: String, role: String, settings: [String: String]) async throws -> String? {
            let clock = function == "enqueue_event" ? ", now()" : ""
            return try await raw.execute("SELECT sb.\(function)('\(tenants.a)', '\(kind)', '{}'\(clock))", role: role, settings: settings).sqlState
        }
        let fraudEvent = try await outlet("emit_platform_event", "fraud-alert.raised", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertNil(fraudEvent)
        let otherEvent = try await outlet("emit_platform_event", "data-subject-request.opened", role: "sb_platform", settings: tenants.platformSettings)
        XCTAssertEqual(otherEvent, "42501", "no other kind of event")
        let byAReseller = try await outlet("emit_platform_event", "statement.issued", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(byAReseller, "42501", "resellers do not send the platform's events")
        for role in ["sb_platform", "sb_reseller", "sb_customer"] {
            let direct = try await outlet("enqueue_event", "fraud-alert.raised", role: role, settings: tenants.platformSettings)
            XCTAssertEqual(direct, "42501", "\(role) cannot write to the outbox directly")
        }
    }

    func testRevocationCannotBeUndone() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let raw = RawSession(database: database)
        let undo = try await raw.execute("UPDATE sb.reseller_api_keys SET revoked_at = NULL", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertEqual(undo.sqlState, "42501")
        let revoke = try await raw.execute("UPDATE sb.reseller_api_keys SET revoked_at = now()", role: "sb_reseller", settings: tenants.resellerSettingsA)
        XCTAssertNil(revoke.sqlState)
    }

    func testVerifyNoticesEntriesRemovedFromTheEnd() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        _ = try await withTestApp(database) { client in try await World.build(client, database: database) }
        let report = try await database.withAdmin { connection in
            try await connection.query("ALTER TABLE sb.audit_events DISABLE TRIGGER audit_append_only", logger: TestCluster.logger)
            try await connection.query(
                "DELETE FROM sb.audit_events WHERE (chain, seq) IN (SELECT chain, max(seq) FROM sb.audit_events WHERE chain <> 'platform' GROUP BY chain LIMIT 1)",
                logger: TestCluster.logger
            )
            return try await AuditVerifier.verify(on: connection, logger: TestCluster.logger)
        }
        XCTAssertTrue(report.firstBreak?.contains("newest entries") ?? false, report.firstBreak ?? "not detected")
    }

    func testShortBootstrapTokensAreRefused() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        do {
            _ = try await database.withRunningApplicationClient { pool in
                try await PlatformBootstrap.ensureAdminKey(database: ScopedDatabase(client: pool), token: "too-short", logger: TestCluster.logger)
            }
            XCTFail("a short bootstrap token was accepted")
        } catch is PlatformBootstrap.TokenTooShort {}
    }
}
