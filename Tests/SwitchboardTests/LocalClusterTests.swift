import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

final class LocalClusterTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbcluster-\(UUID().uuidString.prefix(8))")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func testRestartKeepsData() async throws {
        let first = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), logger: TestCluster.logger)
        try await first.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("CREATE TABLE kept (value text)", logger: TestCluster.logger)
            try await connection.query("INSERT INTO kept VALUES ('still here')", logger: TestCluster.logger)
        }
        await first.stop()
        XCTAssertFalse(first.isRunning)

        let second = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), logger: TestCluster.logger)
        let values = try await second.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("SELECT value FROM kept", logger: TestCluster.logger).collect().map { try $0.decode(String.self) }
        }
        await second.stop()
        XCTAssertEqual(values, ["still here"])
    }

    func testSecondServerOnTheSameDataDirectoryFailsCleanly() async throws {
        let first = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), logger: TestCluster.logger)
        do {
            _ = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), logger: TestCluster.logger)
            XCTFail("a second cluster started on a directory in use")
        } catch let error as LocalClusterError {
            guard case .alreadyRunning(_, let pid) = error else { return XCTFail("unexpected error \(error)") }
            XCTAssertGreaterThan(pid, 0)
            XCTAssertTrue(error.description.contains("SWITCHBOARD_DATA_DIR"), "the message names the fix")
        }
        // The first server is untouched and still serves.
        let answer = try await first.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("SELECT 42", logger: TestCluster.logger).collect().first?.decode(Int.self)
        }
        XCTAssertEqual(answer, 42)
        await first.stop()
    }

    func testMissingBinariesNameTheFix() {
        XCTAssertThrowsError(try PostgresBinaries.locate(environment: ["PATH": "/nonexistent"], installRoot: URL(fileURLWithPath: "/nonexistent"))) { error in
            guard let error = error as? LocalClusterError, case .binariesNotFound = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(error.description.contains("apt-get install postgresql"))
            XCTAssertTrue(error.description.contains("DATABASE_URL"))
        }
    }

    func testStalePidFileOfADeadProcessIsNotARunningServer() throws {
        let clusterDirectory = directory.appendingPathComponent("pgdata")
        try FileManager.default.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
        // PID 1 is alive but is not postgres; a huge PID is not alive at all.
        for pid in ["1", "4194300"] {
            try "\(pid)\n/x\n0\n5432\n/tmp\n\n0 0\nready\n".write(to: clusterDirectory.appendingPathComponent("postmaster.pid"), atomically: true, encoding: .utf8)
            XCTAssertNil(LocalPostgresCluster.runningPostmasterPID(in: clusterDirectory), "pid \(pid)")
        }
    }
}
