import Crypto
import Foundation
import Logging
import PostgresNIO

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
            // On a Citus coordinator the same files apply, with what Citus needs around them.
            let citus = try await CitusDistribution.isPresent(on: connection, logger: logger)
            if citus { try await CitusDistribution.prepareMigrationSession(on: connection, logger: logger) }
            for migration in pending {
                let started = ContinuousClock.now
                // A migration may create a role the next one switches to.
                if citus { try await CitusDistribution.letScopedRolesLogIn(on: connection, logger: logger) }
                try await applyOne(migration, on: connection, logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.fileName)", "ms": "\((ContinuousClock.now - started).milliseconds)"])
            }
            if citus { try await CitusDistribution.distribute(on: connection, logger: logger) }
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
