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
        let first = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
        try await first.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("CREATE TABLE kept (value text)", logger: TestCluster.logger)
            try await connection.query("INSERT INTO kept VALUES ('still here')", logger: TestCluster.logger)
        }
        await first.stop()
        XCTAssertFalse(first.isRunning)

        let second = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
        let values = try await second.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("SELECT value FROM kept", logger: TestCluster.logger).collect().map { try $0.decode(String.self) }
        }
        await second.stop()
        XCTAssertEqual(values, ["still here"])
    }

    func testSecondServerOnTheSameDataDirectoryFailsCleanly() async throws {
        let first = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
        do {
            _ = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
            XCTFail("a second cluster started on a directory in use")
        } catch let error as LocalClusterError {
            guard case .alreadyRunning(_, let pid) = error else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(pid, getpid(), "names the server process holding the directory, never its PostgreSQL")
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
        XCTAssertThrowsError(try PostgresBinaries.locate(explicitDirectory: nil, searchPath: "/nonexistent", installRoot: URL(fileURLWithPath: "/nonexistent"))) { error in
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

    /// A server that died (kill -9) left its PostgreSQL running: the next start stops it and keeps the data.
    func testAnOrphanedPostgresIsStoppedAndItsDataKept() async throws {
        let first = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
        try await first.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("CREATE TABLE kept (value text)", logger: TestCluster.logger)
            try await connection.query("INSERT INTO kept VALUES ('acknowledged')", logger: TestCluster.logger)
        }
        let orphan = try XCTUnwrap(LocalPostgresCluster.runningPostmasterPID(in: directory.appendingPathComponent("pgdata")))
        first.abandonForTesting()

        let started = ContinuousClock.now
        let second = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: TestCluster.logger)
        let elapsed = ContinuousClock.now - started
        let values = try await second.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("SELECT value FROM kept", logger: TestCluster.logger).collect().map { try $0.decode(String.self) }
        }
        XCTAssertFalse(LocalPostgresCluster.isLive(orphan), "the orphan was shut down")
        XCTAssertNotEqual(LocalPostgresCluster.runningPostmasterPID(in: directory.appendingPathComponent("pgdata")), orphan)
        await second.stop()
        XCTAssertEqual(values, ["acknowledged"])
        XCTAssertLessThan(elapsed, .seconds(5))
    }

    /// As root, PostgreSQL's user cannot pass a 0700 parent (root's home): its files go elsewhere,
    /// announced, and the parent keeps its mode.
    func testADataDirectoryUnderAClosedParentIsKeptElsewhere() async throws {
        try XCTSkipUnless(geteuid() == 0, "PostgreSQL runs as another user only when the server is root")
        let closedParent = directory.appendingPathComponent("home")
        let relocationBase = directory.appendingPathComponent("var-lib-switchboard")
        try FileManager.default.createDirectory(at: closedParent, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: closedParent.path)
        let dataDirectory = closedParent.appendingPathComponent("clone/.switchboard")
        let logs = CapturedLogs()
        let options = LocalPostgresCluster.Options(dataDirectory: dataDirectory, durability: .throwaway, relocationBase: relocationBase)

        let first = try await LocalPostgresCluster.start(options, binaries: TestCluster.binaries, logger: logs.logger)
        try await first.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("CREATE TABLE kept (value text)", logger: TestCluster.logger)
            try await connection.query("INSERT INTO kept VALUES ('here')", logger: TestCluster.logger)
        }
        await first.stop()
        XCTAssertTrue(first.clusterRoot.path.hasPrefix(relocationBase.path), first.clusterRoot.path)
        XCTAssertTrue(logs.messages.contains { $0.contains("kept elsewhere") && $0.contains(closedParent.path) }, "announced: \(logs.messages)")
        let mode = try FileManager.default.attributesOfItem(atPath: closedParent.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700, "the user's directory was not loosened")

        let second = try await LocalPostgresCluster.start(options, binaries: TestCluster.binaries, logger: TestCluster.logger)
        let values = try await second.target(database: "postgres").withAdminConnection(logger: TestCluster.logger) { connection in
            try await connection.query("SELECT value FROM kept", logger: TestCluster.logger).collect().map { try $0.decode(String.self) }
        }
        await second.stop()
        XCTAssertEqual(values, ["here"], "the next start finds the same cluster through the pointer file")
        XCTAssertEqual(second.clusterRoot.standardizedFileURL.path, first.clusterRoot.standardizedFileURL.path)
    }

    func testAnUnreachableDataDirectoryWithNowhereElseNamesTheFix() async throws {
        try XCTSkipUnless(geteuid() == 0, "PostgreSQL runs as another user only when the server is root")
        let closedParent = directory.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: closedParent, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: closedParent.path)
        let options = LocalPostgresCluster.Options(
            dataDirectory: closedParent.appendingPathComponent("clone/.switchboard"), durability: .throwaway,
            relocationBase: closedParent.appendingPathComponent("also-closed")
        )
        do {
            _ = try await LocalPostgresCluster.start(options, binaries: TestCluster.binaries, logger: TestCluster.logger)
            XCTFail("started in a directory PostgreSQL cannot reach")
        } catch let error as LocalClusterError {
            guard case .dataDirectoryUnreachable = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(error.description.contains("SWITCHBOARD_DATA_DIR"), error.description)
            XCTAssertTrue(error.description.contains(closedParent.path), error.description)
            XCTAssertFalse(error.description.contains("initdb"), "names the fix, not the tool that failed")
        }
    }
}
