import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// Idle sockets, slow headers, stalled bodies and connection floods cannot hold the server's
/// connections for ever; each is tested over a real socket with limits set low.
final class ClientConnectionLimitTests: XCTestCase {
    static let slack: Duration = .milliseconds(1500)

    /// Runs `test` with a live server on port 0 configured with `limits`.
    func withServer(_ limits: ConnectionLimits, _ test: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withServer(limits) { port, _, _ in try await test(port) }
    }

    func withServer(
        _ limits: ConnectionLimits,
        _ test: @escaping @Sendable (_ port: Int, _ pool: PostgresClient, _ client: any TestClientProtocol) async throws -> Void
    ) async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let pool = try database.applicationClient(maxConnections: 2)
        let app = try buildApplication(
            AppDependencies(
                database: pool, migrations: try MigrationSet.load(from: TestCluster.migrationsDirectory), passwords: testPasswordHasher, keyStore: try await database.keyStore(),
                databaseDeadlines: .init(connectionWait: .seconds(1), transaction: .seconds(5), longTransaction: .seconds(20)),
                connectionLimits: limits
            ),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestCluster.logger
        )
        try await app.test(.live) { client in
            try await test(try XCTUnwrap(client.port), pool, client)
        }
    }

    func testAnIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(ConnectionLimits(idleTimeout: .seconds(1), headerReadTimeout: .seconds(10), bodyReadTimeout: .seconds(10))) { port in
            let socket = try RawHTTPSocket(port: port)
            let (_, closedAfter) = await socket.readUntilClosed(limit: .seconds(6))
            let closed = try XCTUnwrap(closedAfter, "an idle connection stayed open")
            XCTAssertGreaterThan(closed, .milliseconds(800))
            XCTAssertLessThan(closed, .seconds(1) + Self.slack)
        }
    }

    func testAHeaderTrickledOneLineASecondIsCutOffAtTheHeaderTimeout() async throws {
        try await withServer(ConnectionLimits(idleTimeout: .seconds(30), headerReadTimeout: .seconds(2), bodyReadTimeout: .seconds(30))) { port in
            let socket = try RawHTTPSocket(port: port)
            let (received, closedAfter) = await socket.trickle({ index in
                index == 0 ? "GET /health HTTP/1.1\r\nHost: localhost\r\n" : "X-Slow-\(index): still coming\r\n"
            }, every: .seconds(1), limit: .seconds(12))
            let closed = try XCTUnwrap(closedAfter, "a trickling header kept the connection open")
            XCTAssertGreaterThan(closed, .milliseconds(1500))
            XCTAssertLessThan(closed, .seconds(2) + Self.slack)
            XCTAssertTrue(received.hasPrefix("HTTP/1.1 408"), received)
        }
    }

    func testABodyThatStopsMidwayIsCutOffAtTheBodyTimeout() async throws {
        try await withServer(ConnectionLimits(idleTimeout: .seconds(30), headerReadTimeout: .seconds(30), bodyReadTimeout: .seconds(1))) { port in
            let socket = try RawHTTPSocket(port: port)
            socket.send("POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"email\":\"a@")
            let (received, closedAfter) = await socket.readUntilClosed(limit: .seconds(10))
            let closed = try XCTUnwrap(closedAfter, "a stalled body kept the connection open")
            XCTAssertLessThan(closed, .seconds(1) + Self.slack)
            XCTAssertTrue(received.hasPrefix("HTTP/1.1 408"), received)
        }
    }

    func testAHeaderThatArrivesInTimeIsServedAndTheConnectionKeptAlive() async throws {
        try await withServer(ConnectionLimits(idleTimeout: .seconds(30), headerReadTimeout: .seconds(1), bodyReadTimeout: .seconds(1))) { port in
            let socket = try RawHTTPSocket(port: port)
            for _ in 0..<3 {
                socket.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                let (received, closedAfter) = await socket.readUntil(limit: .seconds(5)) { $0.contains("\"ok\"") }
                XCTAssertNil(closedAfter)
                XCTAssertTrue(received.hasPrefix("HTTP/1.1 200"), received)
                // Idle between requests longer than the header timeout: only the idle timeout applies there.
                try await Task.sleep(for: .milliseconds(1500))
            }
        }
    }

    func testAStalledBatchUploadGivesItsDatabaseConnectionBack() async throws {
        try await withServer(ConnectionLimits(idleTimeout: .seconds(30), headerReadTimeout: .seconds(30), bodyReadTimeout: .seconds(2))) { port, pool, client in
            let token = World.bootstrapToken
            try await PlatformBootstrap.ensureAdminKey(database: ScopedDatabase(client: pool), token: token, logger: TestCluster.logger)
            // Two uploads that stop mid-line, each inside its batch transaction: both pooled connections held.
            let stalled = try (0..<2).map { _ in try RawHTTPSocket(port: port) }
            for socket in stalled {
                socket.send("POST /v1/platform/cdrs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n{\"kind\":\"voice\",\"aNumber\":\"+45")
            }
            for socket in stalled {
                let (_, closedAfter) = await socket.readUntilClosed(limit: .seconds(10))
                let closed = try XCTUnwrap(closedAfter, "a stalled batch upload kept its connection")
                XCTAssertLessThan(closed, .seconds(2) + Self.slack)
            }
            let reply = try await DatabaseOutageTests.within(.seconds(5)) { try await client.call(.get, "/v1/me", token: token) }
            XCTAssertEqual(reply.status, .ok, "the pool's connections are free again: \(reply.body)")
            let stored = try await DatabaseOutageTests.within(.seconds(5)) {
                try await client.call(.get, "/v1/platform/cdrs?number=%2B4512345678", token: token)
            }
            XCTAssertEqual(stored.status, .ok, stored.body)
            XCTAssertEqual((stored.json["items"] as? [Any])?.count, 0, "nothing of the cut batches was stored")
        }
    }
}
