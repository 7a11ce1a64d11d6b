import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Several replicas behind one database, as an operator runs them (DESIGN §12): two real server
/// processes share the test cluster's database through `DATABASE_URL`. A key revoked through one
/// is refused by the other at once, and the retention job runs once per interval across both.
final class ReplicaProcessTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbreplicas-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `DATABASE_URL` for a test database, over the cluster's Unix socket as its superuser.
    private static func url(of database: TestDatabase) throws -> String {
        let socketDirectory = URL(fileURLWithPath: try database.localCluster().socketPath).deletingLastPathComponent().path
        return "postgres://\(LocalPostgresCluster.superuser)@localhost:5432/\(database.name)?host=\(socketDirectory)"
    }

    private func replica(_ name: String, database: TestDatabase, kek: String) throws -> ServerProcess {
        try ServerProcess(dataDirectory: directory.appendingPathComponent(name), environment: [
            "DATABASE_URL": try Self.url(of: database),
            "SWITCHBOARD_KEK": kek,
            "SWITCHBOARD_RETENTION_INTERVAL_SECONDS": "3600",
            // The retention tick reports a skip at info.
            "LOG_LEVEL": "info",
        ])
    }

    private static func scheduledRuns(_ database: TestDatabase) async throws -> (started: Int, finished: Int) {
        try await database.withAdmin { connection in
            let row = try await connection.query(
                "SELECT count(*), count(finished_at) FROM platform.retention_runs WHERE trigger = 'job'", logger: TestCluster.logger
            ).collect().first!
            let (started, finished) = try row.decode((Int, Int).self)
            return (started, finished)
        }
    }

    func testTwoServerProcessesShareRevocationsAndRunRetentionOncePerInterval() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let kek = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let platform = ServerProcess.bootstrapToken

        let first = try replica("a", database: database, kek: kek)
        defer { first.killHard() }
        try await first.waitUntilReady()
        // The first replica's scheduled run, to its end.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await Self.scheduledRuns(database).finished < 1 {
            guard ContinuousClock.now < deadline else { throw TestFailure("the first replica's retention run never finished:\n\(first.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }

        let second = try replica("b", database: database, kek: kek)
        defer { second.killHard() }
        try await second.waitUntilReady()
        // The second replica ticks at start too: within the interval, it must skip.
        let skipDeadline = ContinuousClock.now + .seconds(30)
        while !second.log.contains("skipped") {
            guard ContinuousClock.now < skipDeadline else { throw TestFailure("the second replica never reported its retention tick:\n\(second.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let runs = try await Self.scheduledRuns(database)
        XCTAssertEqual(runs.started, 1, "one scheduled retention run across both replicas within the interval")

        // A reseller key, used on both replicas (each caches it), revoked through the first.
        let resellerReply = try await first.request("POST", "/v1/resellers", token: platform, json: #"{"name":"Replica R"}"#)
        XCTAssertEqual(resellerReply.status, 201, String(decoding: resellerReply.body, as: UTF8.self))
        let reseller = try XCTUnwrap(try resellerReply.json["id"] as? String)
        let onboarding = try await first.request("POST", "/v1/resellers/\(reseller)/api-keys", token: platform, json: #"{"name":"first"}"#)
        let firstKey = try XCTUnwrap(try onboarding.json["secret"] as? String)
        let made = try await first.request("POST", "/v1/api-keys", token: firstKey, json: #"{"name":"to revoke"}"#)
        XCTAssertEqual(made.status, 201, String(decoding: made.body, as: UTF8.self))
        let key = try XCTUnwrap(try made.json["secret"] as? String), keyID = try XCTUnwrap(try made.json["id"] as? String)
        for server in [first, second] {
            for _ in 0..<2 {
                let status = try await server.request("GET", "/v1/me", token: key).status
                XCTAssertEqual(status, 200)
            }
        }

        let revoked = try await first.request("DELETE", "/v1/api-keys/\(keyID)", token: firstKey)
        XCTAssertEqual(revoked.status, 204, String(decoding: revoked.body, as: UTF8.self))
        let revokedAt = ContinuousClock.now
        var refusedAfter: Duration?
        while ContinuousClock.now - revokedAt < .seconds(2) {
            let status = try await second.request("GET", "/v1/me", token: key).status
            if status == 401 { refusedAfter = ContinuousClock.now - revokedAt; break }
            XCTAssertEqual(status, 200)
            try await Task.sleep(for: .milliseconds(5))
        }
        let after = try XCTUnwrap(refusedAfter, "the other replica still accepted the revoked key 2 s later:\n\(second.log)")
        XCTAssertLessThan(after, .seconds(1))
        let firstStatus = try await first.request("GET", "/v1/me", token: key).status
        XCTAssertEqual(firstStatus, 401)
        // The other keys are untouched on both.
        for server in [first, second] {
            let status = try await server.request("GET", "/v1/me", token: firstKey).status
            XCTAssertEqual(status, 200)
        }
        await first.stop()
        await second.stop()
    }
}
