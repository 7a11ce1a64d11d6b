import Foundation
@testable import SwitchboardStore
import XCTest

/// The server as an unattended process: killed with `kill -9` (as the OOM killer does), it must come
/// back by itself under a supervisor, with every acknowledged write and nothing half-written.
final class CrashRecoveryTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbcrash-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    private var platform: String { ServerProcess.bootstrapToken }

    func testKillNineMidRequestAndMidBatchThenRestartWithinFiveSeconds() async throws {
        let data = directory.appendingPathComponent("data")
        let first = try ServerProcess(dataDirectory: data)
        try await first.waitUntilReady()
        let recordTime = ISO8601DateFormatter().string(from: Date())
        func lines(_ count: Int, from number: Int) -> String {
            (0..<count).map { index in
                #"{"kind":"call","aNumber":"+45700\#(String(format: "%05d", number + index))","bNumber":"+4520304050","startedAt":"\#(recordTime)","durationSeconds":30,"charge":0.25}"# + "\n"
            }.joined()
        }
        // The retention job creates this month's partition just after start; wait for it.
        var warmUp = 0
        for _ in 0..<200 {
            warmUp = try await first.request("POST", "/v1/platform/cdrs", token: platform, headers: ["Content-Type": "application/x-ndjson"], body: lines(1, from: 0)).status
            if warmUp == 201 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(warmUp, 201, first.log)

        // A batch left half-sent: headers and two chunks, then the server dies before the last chunk.
        let batch = lines(50, from: 100)
        let half = batch.utf8.count / 2
        let upload = try RawHTTPSocket(port: first.port)
        XCTAssertTrue(upload.send(
            "POST /v1/platform/cdrs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(platform)\r\n"
                + "Content-Type: application/x-ndjson\r\nIdempotency-Key: crash-batch-1\r\nTransfer-Encoding: chunked\r\n\r\n"
        ))
        let firstHalf = String(batch.utf8.prefix(half))!
        XCTAssertTrue(upload.send(String(firstHalf.utf8.count, radix: 16) + "\r\n" + firstHalf + "\r\n"))

        // Writes in flight: the server dies after ten of forty have been acknowledged.
        let acknowledged = Acknowledged()
        let server = first
        let platform = platform
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    guard let reply = try? await server.request("POST", "/v1/resellers", token: platform, json: #"{"name":"Crash reseller \#(index)"}"#),
                          reply.status == 201, let id = try reply.json["id"] as? String
                    else { return }
                    if await acknowledged.add(id) == 10 { server.killHard() }
                }
            }
            try await group.waitForAll()
        }
        _ = try await first.waitForExit(within: .seconds(10))
        withExtendedLifetime(upload) {}  // the upload stayed open, half-sent, until the server died
        let ids = await acknowledged.ids
        XCTAssertGreaterThanOrEqual(ids.count, 10)

        // A supervisor restarts it at once, while the old PostgreSQL may still be shutting down.
        let second = try ServerProcess(dataDirectory: data)
        defer { Task { await second.stop() } }
        let restart = try await second.waitUntilReady(within: .seconds(30))
        XCTAssertLessThan(restart, .seconds(5), "serving again \(restart) after the restart:\n\(second.log)")
        print("crash recovery: \(ids.count) acknowledged writes, serving again \(restart) after kill -9")

        for id in ids {
            let reply = try await second.request("GET", "/v1/resellers/\(id)", token: platform)
            XCTAssertEqual(reply.status, 200, "acknowledged reseller \(id) survived")
        }
        // The half-sent batch left nothing behind: the same key and the whole body now store it, once.
        let retry = try await second.request("POST", "/v1/platform/cdrs", token: platform,
                                             headers: ["Content-Type": "application/x-ndjson", "Idempotency-Key": "crash-batch-1"], body: batch)
        XCTAssertEqual(retry.status, 201, String(decoding: retry.body, as: UTF8.self))
        XCTAssertEqual(try retry.json["records"] as? Int, 50)
        XCTAssertEqual(try retry.json["replayed"] as? Bool, false)
        let again = try await second.request("POST", "/v1/platform/cdrs", token: platform,
                                             headers: ["Content-Type": "application/x-ndjson", "Idempotency-Key": "crash-batch-1"], body: batch)
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(try again.json["replayed"] as? Bool, true)
        await second.stop()
        let exitStatus = try await second.waitForExit(within: .seconds(30))
        XCTAssertEqual(exitStatus, 0, "a clean stop after the recovery")
    }

    func testPostgresDiesWithItsServer() async throws {
        let data = directory.appendingPathComponent("data")
        let server = try ServerProcess(dataDirectory: data)
        try await server.waitUntilReady()
        let postmaster = try XCTUnwrap(LocalPostgresCluster.runningPostmasterPID(in: data.appendingPathComponent("pgdata")))
        server.killHard()
        _ = try await server.waitForExit(within: .seconds(10))
        let started = ContinuousClock.now
        while LocalPostgresCluster.isLive(postmaster), ContinuousClock.now - started < .seconds(20) {
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertFalse(LocalPostgresCluster.isLive(postmaster), "PostgreSQL (PID \(postmaster)) outlived its server")
    }

    func testASecondLiveServerIsRefusedNamingTheServerProcess() async throws {
        let data = directory.appendingPathComponent("data")
        let first = try ServerProcess(dataDirectory: data)
        defer { Task { await first.stop() } }
        try await first.waitUntilReady()
        let second = try ServerProcess(dataDirectory: data)
        let status = try await second.waitForExit(within: .seconds(30))
        XCTAssertEqual(status, 1, second.log)
        XCTAssertTrue(second.log.contains("PID \(first.pid)"), "names the live server's PID \(first.pid):\n\(second.log)")
        let postmaster = LocalPostgresCluster.runningPostmasterPID(in: data.appendingPathComponent("pgdata"))
        XCTAssertNotNil(postmaster)
        XCTAssertFalse(second.log.contains("PID \(postmaster ?? -1)"), "never advises killing the database under a live server")
        let still = try await first.request("GET", "/ready")
        XCTAssertEqual(still.status, 200, "the first server is untouched")
        await first.stop()
    }

    func testAShortBootstrapTokenRefusesToStart() async throws {
        let server = try ServerProcess(dataDirectory: directory.appendingPathComponent("data"), environment: ["SWITCHBOARD_BOOTSTRAP_TOKEN": "sbp_too_short"])
        let status = try await server.waitForExit(within: .seconds(20))
        XCTAssertEqual(status, 1, "refused instead of serving without an admin key:\n\(server.log)")
        XCTAssertTrue(server.log.contains("SWITCHBOARD_BOOTSTRAP_TOKEN must be at least 32 characters"), server.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/pgdata").path), "nothing was started")
    }
}

private actor Acknowledged {
    private(set) var ids: [String] = []
    func add(_ id: String) -> Int {
        ids.append(id)
        return ids.count
    }
}
