import Foundation
import HummingbirdTesting
import PostgresNIO
import SwitchboardStore
import XCTest

final class AuditTrailTests: XCTestCase {
    private func events(_ database: TestDatabase) async throws -> [(action: String, fields: [String], chain: String)] {
        try await database.withAdmin { connection in
            try await connection.query("SELECT action, fields, chain FROM sb.audit_events ORDER BY occurred_at, seq", logger: TestCluster.logger)
                .collect().map { try $0.decode((String, [String], String).self) }.map { (action: $0.0, fields: $0.1, chain: $0.2) }
        }
    }

    func testEveryChangeIsRecordedWithoutPersonalValues() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let world = try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            _ = try await client.patchReadingETag("/v1/customers/\(world.customerA1)", token: world.resellerAKey, json: #"{"name":"Secret Renamed ApS"}"#)
            _ = try await client.call(.post, "/v1/customers/\(world.customerA2)/terminate", token: world.resellerAKey)
            _ = try await client.call(.delete, "/v1/sessions/current", token: world.managerA1Token)
            return world
        }
        let recorded = try await events(database)
        let actions = Set(recorded.map(\.action))
        for action in ["api_key.bootstrap", "reseller.create", "api_key.create", "api_key.revoke", "dpa.accept", "customer.create",
                       "customer.update", "customer.terminate", "manager.create", "session.create", "session.revoke"] {
            XCTAssertTrue(actions.contains(action), "no audit entry for \(action)")
        }
        let update = try XCTUnwrap(recorded.first { $0.action == "customer.update" })
        XCTAssertEqual(update.fields, ["name"], "field names, not values")
        XCTAssertEqual(update.chain, world.resellerA, "a reseller's events are in its own chain")
        // No value that was written anywhere appears in the trail.
        let dump = try await database.withAdmin { connection in
            try await connection.query("SELECT string_agg(e::text, ' ') FROM sb.audit_events e", logger: TestCluster.logger).collect().first?.decode(String.self) ?? ""
        }
        for value in ["Secret Renamed", world.managerA1Email, "Manager ", "A1 ApS", World.password] {
            XCTAssertFalse(dump.contains(value), "the audit trail holds the value '\(value)'")
        }
    }

    func testVerifyDetectsAnAlteredOrRemovedEntry() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        _ = try await withTestApp(database) { client in try await World.build(client, database: database) }
        let intact = try await database.withAdmin { try await AuditVerifier.verify(on: $0, logger: TestCluster.logger) }
        XCTAssertNil(intact.firstBreak)
        XCTAssertGreaterThan(intact.events, 10)
        XCTAssertEqual(intact.chains, 4, "platform, resellers A, B and C")

        // Someone with superuser rights edits history behind the triggers' back.
        let altered = try await database.withAdmin { connection in
            try await connection.query("ALTER TABLE sb.audit_events DISABLE TRIGGER audit_append_only", logger: TestCluster.logger)
            try await connection.query("UPDATE sb.audit_events SET fields = '{forged}' WHERE chain <> 'platform' AND seq = 2", logger: TestCluster.logger)
            return try await AuditVerifier.verify(on: connection, logger: TestCluster.logger)
        }
        XCTAssertTrue(altered.firstBreak?.contains("seq 2: content does not match") ?? false, altered.firstBreak ?? "not detected")

        let removed = try await database.withAdmin { connection in
            try await connection.query("UPDATE sb.audit_events SET fields = '{}' WHERE fields = '{forged}'", logger: TestCluster.logger)
            let restored = try await AuditVerifier.verify(on: connection, logger: TestCluster.logger)
            XCTAssertNotNil(restored.firstBreak, "guessing the original fields wrongly still breaks the chain")
            try await connection.query("DELETE FROM sb.audit_events WHERE chain <> 'platform' AND seq = 3", logger: TestCluster.logger)
            return try await AuditVerifier.verify(on: connection, logger: TestCluster.logger)
        }
        XCTAssertNotNil(removed.firstBreak)
    }

    /// Entries removed from a chain's end stay visible: the next append refuses to continue from
    /// what is left (it would renumber over the gap and move the head), and verify names the loss.
    func testAnAppendAfterTheNewestEntriesWereRemovedIsRefused() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let world = try await withTestApp(database) { client in try await World.build(client, database: database) }
        let chain = world.resellerA.lowercased()
        let (newestBefore, appended, verified, newestAfter) = try await database.withAdmin { connection in
            let newest = try await connection.query("SELECT max(seq) FROM sb.audit_events WHERE chain = \(chain)", logger: TestCluster.logger)
                .collect().first!.decode(Int64.self)
            try await connection.query("ALTER TABLE sb.audit_events DISABLE TRIGGER audit_append_only", logger: TestCluster.logger)
            try await connection.query("DELETE FROM sb.audit_events WHERE chain = \(chain) AND seq >= \(newest - 1)", logger: TestCluster.logger)
            try await connection.query("ALTER TABLE sb.audit_events ENABLE TRIGGER audit_append_only", logger: TestCluster.logger)
            var state = "appended"
            do {
                try await connection.query(
                    """
                    INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, action)
                    VALUES (\(chain), gen_random_uuid(), 'system', 'sb_owner', \(chain)::uuid, 'tail.hidden')
                    """,
                    logger: TestCluster.logger
                )
            } catch let error as PSQLError {
                state = error.serverInfo?[.sqlState] ?? "?"
            }
            let report = try await AuditVerifier.verify(on: connection, logger: TestCluster.logger)
            let after = try await connection.query("SELECT max(seq) FROM sb.audit_events WHERE chain = \(chain)", logger: TestCluster.logger)
                .collect().first!.decode(Int64.self)
            return (newest, state, report, after)
        }
        XCTAssertEqual(appended, "XX001", "data_corrupted: the append is refused")
        XCTAssertEqual(newestAfter, newestBefore - 2, "nothing was renumbered over the gap")
        XCTAssertTrue(verified.firstBreak?.contains("chain \(chain): its newest entries (up to seq \(newestBefore)) are missing") ?? false,
                      verified.firstBreak ?? "not detected")
    }

    func testTheTriggerRefusesChangesEvenFromTheOwner() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        _ = try await withTestApp(database) { client in try await World.build(client, database: database) }
        try await database.withAdmin { connection in
            do {
                try await connection.query("UPDATE sb.audit_events SET action = 'x'", logger: TestCluster.logger)
                XCTFail("the audit trail accepted an update")
            } catch let error as PSQLError {
                XCTAssertEqual(error.serverInfo?[.message], "the audit trail is append-only")
            }
        }
    }
}
