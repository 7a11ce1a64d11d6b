import Crypto
import Foundation
import Logging
import PostgresNIO

/// One `migrations/NNNN_name.sql` file.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex: recorded when applied, compared on every start.
    public let checksum: String

    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The ordered migrations shipped with this build.
public struct MigrationSet: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads every `NNNN_name.sql` in `directory`; any other `.sql` name, or a repeated number, is an error.
    public static func load(from directory: URL) throws -> MigrationSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.directoryUnreadable(directory.path)
        }
        var byVersion: [Int: Migration] = [:]
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]),
                  parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" })
            else { throw MigrationError.badFileName(fileName) }
            let sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            let migration = Migration(version: version, name: String(parts[1]), sql: sql)
            if let existing = byVersion[version] {
                throw MigrationError.duplicateVersion(existing.fileName, fileName)
            }
            byVersion[version] = migration
        }
        return MigrationSet(migrations: Array(byVersion.values))
    }

    /// `explicit` (the operator's `--migrations-dir` or `SWITCHBOARD_MIGRATIONS_DIR`), else `./migrations`,
    /// else `migrations/` beside or above the executable. Reads no environment itself.
    public static func defaultDirectory(explicit: String? = nil) -> URL {
        if let explicit, !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("migrations")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return local
    }
}

/// What the database's ledger says against the files of this build.
public struct MigrationStatus: Sendable, Equatable {
    public var applied: Int
    public var pending: [Migration]

    public var isCurrent: Bool { pending.isEmpty }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryUnreadable(String)
    case badFileName(String)
    case duplicateVersion(String, String)
    case checksumMismatch(fileName: String, recorded: String, actual: String)
    case unknownAppliedVersion(version: Int, name: String)
    case failed(fileName: String, message: String)

    public var description: String {
        switch self {
        case .directoryUnreadable(let path):
            return "Cannot read the migrations directory \(path). Set SWITCHBOARD_MIGRATIONS_DIR or run from the project directory."
        case .badFileName(let name):
            return "Migration file '\(name)' must be named NNNN_lowercase_name.sql."
        case .duplicateVersion(let first, let second):
            return "Migrations '\(first)' and '\(second)' share a number."
        case .checksumMismatch(let fileName, let recorded, let actual):
            return """
                Migration \(fileName) was changed after it was applied (recorded checksum \(recorded.prefix(12))…, file now \(actual.prefix(12))…). \
                Refusing to start. Migrations are append-only: restore the file as it was and put the change in a new migration.
                """
        case .unknownAppliedVersion(let version, let name):
            return String(format: "The database has migration %04d_%@ applied, which this build does not have: it was migrated by a newer version. Run that version, or restore a matching backup.", version, name)
        case .failed(let fileName, let message):
            return "Migration \(fileName) failed and was rolled back: \(message)"
        }
    }
}

/// Applies migrations in order, each in its own transaction, recording each in a checksummed ledger.
public struct MigrationRunner: Sendable {
    public let migrations: MigrationSet
    /// Serialises concurrent runners (several replicas starting at once).
    static let advisoryLockKey: Int64 = 0x5357_4D49_4752  // "SWMIGR"

    public init(migrations: MigrationSet) {
        self.migrations = migrations
    }

    // not tenant data: schema_migrations (the ledger of applied schema files)
    static let createLedger = """
        CREATE TABLE IF NOT EXISTS public.schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Applies what is pending; refuses (before changing anything) if an applied file was altered.
    @discardableResult
    public func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: Self.createLedger), logger: logger)
            let pending = try await status(on: connection, logger: logger).pending
            for migration in pending {
                let started = ContinuousClock.now
                try await applyOne(migration, on: connection, logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.fileName)", "ms": "\((ContinuousClock.now - started).milliseconds)"])
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            return pending
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            throw error
        }
    }

    private func applyOne(_ migration: Migration, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            for statement in SQLStatementSplitter.split(migration.sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            // A migration may switch role (SET LOCAL ROLE sb_owner); the ledger is written as the migrating user.
            try await connection.query("RESET ROLE", logger: logger)
            try await connection.query(
                "INSERT INTO public.schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                logger: logger
            )
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw MigrationError.failed(fileName: migration.fileName, message: Self.describe(error))
        }
    }

    /// Compares the ledger with the files; throws when an applied file changed or is unknown to this build.
    public func status(on connection: PostgresConnection, logger: Logger) async throws -> MigrationStatus {
        let ledgerExists = try await connection.query(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        var recorded: [Int: (name: String, checksum: String)] = [:]
        if ledgerExists {
            let rows = try await connection.query("SELECT version, name, checksum FROM public.schema_migrations", logger: logger)
            for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
                recorded[version] = (name: name, checksum: checksum)
            }
        }
        return try compare(recorded: recorded)
    }

    /// Pure comparison of a ledger's contents with this build's files.
    public func compare(recorded: [Int: (name: String, checksum: String)]) throws -> MigrationStatus {
        let known = Dictionary(uniqueKeysWithValues: migrations.migrations.map { ($0.version, $0) })
        for (version, entry) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError.unknownAppliedVersion(version: version, name: entry.name)
            }
            if migration.checksum != entry.checksum {
                throw MigrationError.checksumMismatch(fileName: migration.fileName, recorded: entry.checksum, actual: migration.checksum)
            }
        }
        return MigrationStatus(applied: recorded.count, pending: migrations.migrations.filter { recorded[$0.version] == nil })
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
            return message + detail
        }
        return String(describing: error)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
