import Foundation
import Logging
import PostgresNIO

/// Where this process's database is: an external server named by `DATABASE_URL`, or a private
/// cluster this process starts (and must stop).
public struct DatabasePlacement: Sendable {
    public let target: DatabaseTarget
    public let privateCluster: LocalPostgresCluster?

    public static let privateDatabaseName = "switchboard"

    public init(target: DatabaseTarget, privateCluster: LocalPostgresCluster?) {
        self.target = target
        self.privateCluster = privateCluster
    }

    /// Uses `DATABASE_URL` when set; otherwise starts the private cluster in `dataDirectory`
    /// and creates its database on first use.
    ///
    /// `postgresBinDirectory` and `searchPath` say where `initdb` and `postgres` are looked for
    /// (see ``PostgresBinaries/locate(explicitDirectory:searchPath:installRoot:)``), `clusterUser`
    /// whom PostgreSQL runs as under root; all are consulted only for the private cluster.
    public static func resolve(
        databaseURL: String?,
        dataDirectory: URL,
        clusterUser: String = "postgres",
        postgresBinDirectory: String? = nil,
        searchPath: String? = nil,
        logger: Logger
    ) async throws -> DatabasePlacement {
        if let databaseURL, !databaseURL.isEmpty {
            let target = try DatabaseTarget(url: databaseURL)
            logger.info("using external PostgreSQL", metadata: ["database": "\(target.redactedDescription)"])
            return DatabasePlacement(target: target, privateCluster: nil)
        }
        let binaries = try PostgresBinaries.locate(explicitDirectory: postgresBinDirectory, searchPath: searchPath)
        let cluster = try await LocalPostgresCluster.start(
            .init(dataDirectory: dataDirectory, unprivilegedUser: clusterUser), binaries: binaries, logger: logger
        )
        do {
            try await cluster.target(database: "postgres").withAdminConnection(logger: logger) { connection in
                try await createDatabaseIfMissing(privateDatabaseName, on: connection, logger: logger)
            }
        } catch {
            await cluster.stop()
            throw error
        }
        return DatabasePlacement(target: cluster.target(database: privateDatabaseName), privateCluster: cluster)
    }

    public static func createDatabaseIfMissing(_ name: String, template: String? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            .collect().isEmpty == false
        guard !exists else { return }
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let templateClause = template.map { " TEMPLATE \"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" } ?? ""
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)\(templateClause)"), logger: logger)
    }

    /// Applies pending migrations as the admin user and, when given, sets the login role's password.
    public func migrate(_ migrations: MigrationSet, applicationPassword: String?, logger: Logger) async throws {
        try await target.withAdminConnection(logger: logger) { connection in
            let applied = try await MigrationRunner(migrations: migrations).apply(on: connection, logger: logger)
            logger.info("migrations current", metadata: ["applied_now": "\(applied.count)", "total": "\(migrations.migrations.count)"])
            if let applicationPassword, !applicationPassword.isEmpty {
                let literal = "'" + applicationPassword.replacingOccurrences(of: "'", with: "''") + "'"
                try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(DatabaseTarget.applicationRole) LOGIN PASSWORD \(literal)"), logger: logger)
            }
        }
    }

    /// The server's pool: the login role that owns nothing and switches role per request.
    public func applicationClientConfiguration(password: String?, maxConnections: Int) throws -> PostgresClient.Configuration {
        var configuration = try target.clientConfiguration(user: DatabaseTarget.applicationRole, password: password)
        configuration.options.maximumConnections = maxConnections
        return configuration
    }

    public func shutdown() async {
        await privateCluster?.stop()
    }
}
