import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// What an attacker holding a backup or the disk would see: `pg_dump` output and the bytes of the
/// database's files; and the retention job run at a chosen clock.
extension TestDatabase {
    /// A plain-SQL `pg_dump` of this database, as the cluster's superuser.
    func dump() throws -> Data {
        try Self.runTool("pg_dump", ["-h", try socketDirectory, "-U", LocalPostgresCluster.superuser, "--no-owner", "-d", name])
    }

    /// Restores `dump` into a new, empty database of the same cluster.
    static func restored(_ dump: Data) async throws -> TestDatabase {
        let fresh = try await TestCluster.shared.emptyDatabase()
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbdump-\(UUID().uuidString).sql")
        try dump.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try runTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", try fresh.socketDirectory, "-U", LocalPostgresCluster.superuser, "-d", fresh.name, "-f", file.path])
        return fresh
    }

    /// Every file of this database (tables, TOAST, indexes), after a checkpoint wrote the shared
    /// buffers out: the bytes a stolen disk or a file-level backup would hold.
    func fileBytes() async throws -> [(path: String, bytes: Data)] {
        let directory = try await withAdmin { connection in
            try await connection.query("CHECKPOINT", logger: TestCluster.logger)
            return try await connection.query(
                "SELECT current_setting('data_directory') || '/base/' || oid::text FROM pg_database WHERE datname = current_database()",
                logger: TestCluster.logger
            ).collect().first!.decode(String.self)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return try names.sorted().map { name in
            let path = directory + "/" + name
            return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    /// How many times `marker` occurs in the database's files.
    func occurrencesInFiles(of marker: String) async throws -> Int {
        try await fileBytes().reduce(0) { $0 + $1.bytes.occurrences(of: Data(marker.utf8)) }
    }

    /// The local test cluster's socket directory (the forensic tools read its files).
    var socketDirectory: String {
        get throws { URL(fileURLWithPath: try localCluster().socketPath).deletingLastPathComponent().path }
    }

    /// Runs the retention job once at `clock`, as the server does (lock, rules, vacuum).
    func runRetention(at clock: Date, dryRun: Bool = false, quarantine: QuarantineRule = QuarantineRule()) async throws -> RetentionRun {
        let vault = try await vault()
        let admin = adminTarget
        return try await withRunningApplicationClient(maxConnections: 3) { pool in
            let runner = RetentionRunner(database: ScopedDatabase(client: pool), vault: vault, quarantine: quarantine, maintenance: admin)
            do {
                guard let run = try await runner.run(clock: clock, dryRun: dryRun, trigger: .command, logger: TestCluster.logger) else {
                    throw TestFailure("another retention run held the lock")
                }
                return run
            } catch let error as PSQLError {
                throw TestFailure("retention run: \(PostgresErrorDescription.describe(error))")
            }
        }
    }

    /// One integer from `sql`, as the superuser.
    func integer(_ sql: String) async throws -> Int {
        try await Self.described(sql) {
            try await withAdmin { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger).collect().first!.decode(Int.self)
            }
        }
    }

    /// Runs `sql` as the superuser (test setup: planting ages, reading what no role may).
    func admin(_ sql: String) async throws {
        _ = try await Self.described(sql) {
            try await withAdmin { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger)
            }
        }
    }

    /// PostgreSQL's own message instead of PSQLError's generic description.
    static func described<T>(_ sql: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw TestFailure("\(PostgresErrorDescription.describe(error)) in: \(sql)")
        }
    }

    static func runTool(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = try TestCluster.binaries.directory.appendingPathComponent(tool)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(tool) failed (\(process.terminationStatus)): \(String(decoding: messages, as: UTF8.self))")
        }
        return data
    }
}

extension Data {
    func occurrences(of needle: Data) -> Int {
        guard !needle.isEmpty, count >= needle.count else { return 0 }
        var found = 0
        var start = startIndex
        while let range = self.range(of: needle, in: start..<endIndex) {
            found += 1
            start = range.upperBound
        }
        return found
    }
}

/// Instants for the rules' tests, written as in the examples.
func instant(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text)!
}
