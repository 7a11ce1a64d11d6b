import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

final class MigrationTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbmigrations-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ sql: String) throws {
        try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func ledger(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT version FROM public.schema_migrations ORDER BY version", logger: TestCluster.logger)
            .collect().map { try $0.decode(Int.self) }
    }

    func testProjectMigrationsApplyOnceInOrder() async throws {
        let database = try await TestCluster.shared.emptyDatabase()
        let runner = MigrationRunner(migrations: try MigrationSet.load(from: TestCluster.migrationsDirectory))
        try await database.withAdmin { connection in
            let first = try await runner.apply(on: connection, logger: TestCluster.logger)
            XCTAssertEqual(first.map(\.version), runner.migrations.migrations.map(\.version))
            XCTAssertFalse(first.isEmpty)
            let second = try await runner.apply(on: connection, logger: TestCluster.logger)
            XCTAssertEqual(second, [], "a second run applies nothing")
            let applied = try await self.ledger(connection)
            XCTAssertEqual(applied, runner.migrations.migrations.map(\.version))
        }
    }

    func testTamperedMigrationIsRefused() async throws {
        try write("0001_first.sql", "CREATE TABLE first_table (id int);")
        try write("0002_second.sql", "CREATE TABLE second_table (id int);")
        let database = try await TestCluster.shared.emptyDatabase()
        try await database.withAdmin { connection in
            try await MigrationRunner(migrations: try MigrationSet.load(from: self.directory)).apply(on: connection, logger: TestCluster.logger)

            try self.write("0002_second.sql", "CREATE TABLE second_table (id bigint);")
            try self.write("0003_third.sql", "CREATE TABLE third_table (id int);")
            let tampered = MigrationRunner(migrations: try MigrationSet.load(from: self.directory))
            do {
                try await tampered.apply(on: connection, logger: TestCluster.logger)
                XCTFail("a changed migration was accepted")
            } catch let error as MigrationError {
                guard case .checksumMismatch(let fileName, _, _) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(fileName, "0002_second.sql")
                XCTAssertTrue(error.description.contains("append-only"))
            }
            // Refused before anything ran: the pending third migration was not applied.
            let applied = try await self.ledger(connection)
            XCTAssertEqual(applied, [1, 2])
            let third = try await connection.query("SELECT to_regclass('third_table') IS NULL", logger: TestCluster.logger).collect().first?.decode(Bool.self)
            XCTAssertEqual(third, true)
        }
    }

    func testFailingMigrationLeavesNoTrace() async throws {
        try write("0001_broken.sql", """
            CREATE TABLE made_before_failure (id int);
            INSERT INTO made_before_failure VALUES (1);
            SELECT * FROM no_such_table;
            """)
        let database = try await TestCluster.shared.emptyDatabase()
        try await database.withAdmin { connection in
            do {
                try await MigrationRunner(migrations: try MigrationSet.load(from: self.directory)).apply(on: connection, logger: TestCluster.logger)
                XCTFail("a broken migration succeeded")
            } catch let error as MigrationError {
                guard case .failed(let fileName, let message) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(fileName, "0001_broken.sql")
                XCTAssertTrue(message.contains("no_such_table"), message)
            }
            let leftover = try await connection.query("SELECT to_regclass('made_before_failure') IS NULL", logger: TestCluster.logger).collect().first?.decode(Bool.self)
            XCTAssertEqual(leftover, true, "the transaction was rolled back")
            let applied = try await self.ledger(connection)
            XCTAssertEqual(applied, [])
        }
    }

    func testMigrationAppliedByANewerBuildIsRefused() throws {
        let runner = MigrationRunner(migrations: MigrationSet(migrations: [Migration(version: 1, name: "a", sql: "SELECT 1")]))
        XCTAssertThrowsError(try runner.compare(recorded: [1: (name: "a", checksum: runner.migrations.migrations[0].checksum), 2: (name: "b", checksum: "x")])) { error in
            XCTAssertEqual(error as? MigrationError, .unknownAppliedVersion(version: 2, name: "b"))
        }
    }

    func testBadFileNamesAndDuplicateNumbersAreRejected() throws {
        try write("1_short.sql", "SELECT 1;")
        XCTAssertThrowsError(try MigrationSet.load(from: directory)) { XCTAssertEqual($0 as? MigrationError, .badFileName("1_short.sql")) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("1_short.sql"))
        try write("0001_a.sql", "SELECT 1;")
        try write("0001_b.sql", "SELECT 2;")
        XCTAssertThrowsError(try MigrationSet.load(from: directory)) { XCTAssertEqual($0 as? MigrationError, .duplicateVersion("0001_a.sql", "0001_b.sql")) }
    }

    func testSplitterKeepsQuotedSemicolonsTogether() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (note text DEFAULT 'a;b', "odd;name" int);
            DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            /* block; comment */ SELECT 'it''s; fine';
            """
        let statements = SQLStatementSplitter.split(script)
        XCTAssertEqual(statements.count, 4, "\(statements)")
        XCTAssertTrue(statements[0].hasSuffix(#"DEFAULT 'a;b', "odd;name" int)"#))
        XCTAssertEqual(statements[1], "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$")
        XCTAssertEqual(statements[2], "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$")
        XCTAssertTrue(statements[3].hasSuffix("SELECT 'it''s; fine'"))
    }
}
