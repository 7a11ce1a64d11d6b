import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
@testable import SwitchboardStore
import XCTest

/// Every wait on the database is bounded: a request answers 503 with Retry-After instead of hanging,
/// an outage is logged once, and service resumes by itself when PostgreSQL returns.
final class DatabaseOutageTests: XCTestCase {
    /// The limits these tests configure: short, so the suite stays fast.
    static let deadlines = DatabaseDeadlines(connectionWait: .seconds(1), transaction: .seconds(3), longTransaction: .seconds(6))
    /// Scheduling slack on a shared 2-core machine.
    static let slack: Duration = .seconds(2)

    func testAnOutageAnswers503WithinTheDeadlineLogsOnceAndRecoversWithoutRestart() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbout-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = LocalPostgresCluster.Options(dataDirectory: directory, durability: .throwaway)
        let cluster = try await LocalPostgresCluster.start(options, binaries: TestCluster.binaries, logger: TestCluster.logger)
        let placement = DatabasePlacement(target: cluster.target(database: DatabasePlacement.privateDatabaseName), privateCluster: nil)
        let migrations = try MigrationSet.load(from: TestCluster.migrationsDirectory)
        try await cluster.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await DatabasePlacement.createDatabaseIfMissing(DatabasePlacement.privateDatabaseName, on: connection, logger: TestCluster.logger)
        }
        try await placement.migrate(migrations, applicationPassword: nil, logger: TestCluster.logger)

        let keyStore = try await TestCluster.shared.keyStore(for: "outage_\(getpid())")
        let pool = PostgresClient(
            configuration: try placement.applicationClientConfiguration(password: nil, maxConnections: 4),
            backgroundLogger: TestCluster.logger
        )
        let logs = CapturedLogs()
        let app = try buildApplication(
            try AppDependencies(database: pool, migrations: migrations, passwords: testPasswordHasher, keyStore: keyStore, databaseDeadlines: Self.deadlines),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logs.logger
        )
        let token = World.bootstrapToken
        let restarted = try await app.test(.live) { client -> LocalPostgresCluster in
            try await PlatformBootstrap.ensureAdminKey(database: ScopedDatabase(client: pool), token: token, logger: TestCluster.logger)
            let before = try await client.call(.get, "/v1/me", token: token)
            XCTAssertEqual(before.status, .ok)

            await cluster.stop()
            // One after another: the test client has a single connection, so concurrent calls would queue behind each other.
            var replies = [(Reply, Duration)]()
            for _ in 0..<8 {
                let started = ContinuousClock.now
                // Bounded here too: without the fix the request hangs, and the test must fail, not hang.
                let reply = try await Self.within(.seconds(15)) { try await client.call(.get, "/v1/me", token: token) }
                replies.append((reply, ContinuousClock.now - started))
            }
            for (reply, elapsed) in replies {
                XCTAssertEqual(reply.status, .serviceUnavailable, reply.body)
                XCTAssertEqual(reply.headers[.retryAfter], "1")
                XCTAssertEqual(reply.headers[.contentType], "application/problem+json")
                XCTAssertLessThan(elapsed, Self.deadlines.connectionWait + Self.slack, "answered within the connection wait")
            }
            let slowest = replies.map(\.1).max()!
            print("time to 503 during the outage: slowest \(slowest), fastest \(replies.map(\.1).min()!) (connection wait \(Self.deadlines.connectionWait))")
            XCTAssertEqual(logs.count(.error, containing: "database unavailable"), 1, "one outage, one log line for \(replies.count) failed requests")
            XCTAssertEqual(logs.count(.error, containing: "unhandled"), 0)

            let restarted = try await LocalPostgresCluster.start(options, binaries: TestCluster.binaries, logger: TestCluster.logger)
            var recovered = false
            let recoveryStarted = ContinuousClock.now
            while !recovered, ContinuousClock.now - recoveryStarted < .seconds(30) {
                let reply = try await Self.within(.seconds(15)) { try await client.call(.get, "/v1/me", token: token) }
                recovered = reply.status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(200)) }
            }
            XCTAssertTrue(recovered, "serves again once PostgreSQL is back, without a restart")
            print("recovered \(ContinuousClock.now - recoveryStarted) after PostgreSQL restarted")
            XCTAssertEqual(logs.count(.notice, containing: "database reachable again"), 1)
            XCTAssertEqual(logs.count(.error, containing: "database unavailable"), 1)
            return restarted
        }
        await restarted.stop()
    }

    func testEveryTransactionCarriesTheStatementTimeoutAndAStatementPastItIsUnavailable() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await database.withRunningApplicationClient { pool in
            let scoped = ScopedDatabase(client: pool, deadlines: .init(connectionWait: .seconds(1), transaction: .milliseconds(1500), longTransaction: .seconds(4)))
            let scope = DatabaseScope.authenticator(credentialHash: nil, loginEmail: nil)
            let timeout = try await scoped.transaction(scope, logger: TestCluster.logger) { connection in
                try await connection.query("SHOW statement_timeout", logger: TestCluster.logger).collect().first!.decode(String.self)
            }
            XCTAssertEqual(timeout, "1500ms")
            let long = try await scoped.transaction(scope, kind: .long, logger: TestCluster.logger) { connection in
                try await connection.query("SHOW statement_timeout", logger: TestCluster.logger).collect().first!.decode(String.self)
            }
            XCTAssertEqual(long, "4s")

            let started = ContinuousClock.now
            do {
                try await scoped.transaction(scope, logger: TestCluster.logger) { connection in
                    try await connection.query("SELECT pg_sleep(10)", logger: TestCluster.logger).collect()
                }
                XCTFail("a statement past the timeout finished")
            } catch let unavailable as DatabaseUnavailable {
                XCTAssertEqual(unavailable.cause, .statementTimeout(.milliseconds(1500)))
            }
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(4))
        }
    }

    func testAConnectionWaitGivesUpWithoutLeavingAWaiterInThePool() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await database.withRunningApplicationClient(maxConnections: 1) { pool in
            let scoped = ScopedDatabase(client: pool, deadlines: .init(connectionWait: .milliseconds(500), transaction: .seconds(5)))
            let scope = DatabaseScope.authenticator(credentialHash: nil, loginEmail: nil)
            let holding = Task {
                try await scoped.transaction(scope, logger: TestCluster.logger) { _ in try await Task.sleep(for: .seconds(2)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            do {
                try await scoped.transaction(scope, logger: TestCluster.logger) { _ in }
                XCTFail("got a connection the pool does not have")
            } catch let unavailable as DatabaseUnavailable {
                XCTAssertEqual(unavailable.cause, .noConnection(waited: .milliseconds(500)))
            }
            XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(500) + Self.slack)
            try await holding.value
            // Had the abandoned wait stayed queued, it would have taken the only connection for ever.
            let answer = try await Self.within(.seconds(5)) {
                try await scoped.transaction(scope, logger: TestCluster.logger) { connection in
                    try await connection.query("SELECT 42", logger: TestCluster.logger).collect().first!.decode(Int.self)
                }
            }
            XCTAssertEqual(answer, 42)
        }
    }

    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TestFailure("no answer within \(limit)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
