import Foundation
import Logging
import PostgresNIO
import SwitchboardStore

/// An external Citus coordinator named by `SWITCHBOARD_TEST_CITUS_URL`: every test that asks for
/// a migrated database gets a fresh Citus database there, a copy on every node of one made at
/// first use with the extension on every node and the cluster's nodes registered, migrated (and
/// so distributed) by `MigrationRunner` as `switchboard migrate` would.
///
/// The URL names a database on the coordinator in which the workers are registered; its user
/// must be a superuser, and the coordinator must reach its workers as that user without a
/// password (as Citus itself does). The workers are reached from the coordinator through
/// `dblink`, so the test machine needs no route to them.
actor CitusTestCoordinator {
    static let environmentVariable = "SWITCHBOARD_TEST_CITUS_URL"

    /// Nil unless the variable is set: the suite then runs on the local cluster as usual.
    static let shared: CitusTestCoordinator? = ProcessInfo.processInfo.environment[environmentVariable]
        .flatMap { $0.isEmpty ? nil : CitusTestCoordinator(url: $0) }

    /// Shards per distributed table in the test databases: the placement rules are the same at any
    /// count, and distributing 54 tables at 4 shards takes a few seconds instead of twenty.
    static let shardCount = 4

    private struct Node: Sendable {
        let host: String
        let port: Int
        let isCoordinator: Bool
    }

    private let url: String
    private var nodes: [Node]?
    private var template: String?
    private var databaseCount = 0

    private init(url: String) {
        self.url = url
    }

    /// Another database on the coordinator, as the URL's user.
    nonisolated func target(database: String) throws -> DatabaseTarget {
        var target = try DatabaseTarget(url: url)
        target.database = database
        return target
    }

    /// A new, migrated and distributed database on the cluster: a copy, on every node, of one
    /// migrated at the first request (creating and migrating each takes about 9 s; a copy, well
    /// under one, which the access matrix's database per cell needs).
    func migratedDatabase(logger: Logger) async throws -> DatabaseTarget {
        let home = try DatabaseTarget(url: url)
        let nodes = try await clusterNodes(home: home, logger: logger)
        let template = try await template(home: home, nodes: nodes, logger: logger)
        databaseCount += 1
        let name = "sbcitus_\(getpid())_\(databaseCount)"
        try await create(name, template: template, home: home, nodes: nodes, logger: logger)
        try await copySettings(from: template, to: name, home: home, nodes: nodes, logger: logger)
        var target = home
        target.database = name
        return target
    }

    /// The database every test's is copied from, made on first use: created, the nodes
    /// registered, migrated and distributed as `switchboard migrate` would. Closed to connections
    /// afterwards on every node, as PostgreSQL copies only a database no one is connected to
    /// (Citus' maintenance daemon would be).
    private func template(home: DatabaseTarget, nodes: [Node], logger: Logger) async throws -> String {
        if let template { return template }
        let name = "sbcitus_\(getpid())_template"
        try await create(name, template: nil, home: home, nodes: nodes, logger: logger)
        var target = home
        target.database = name
        try await target.withAdminConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) SET citus.shard_count = \(Self.shardCount)"), logger: logger)
            for node in nodes {
                if node.isCoordinator {
                    try await connection.query("SELECT citus_set_coordinator_host(\(node.host), \(node.port)::integer)", logger: logger)
                } else {
                    try await connection.query("SELECT citus_add_node(\(node.host), \(node.port)::integer)", logger: logger)
                }
            }
        }
        // A new connection, so the database's shard count applies.
        try await target.withAdminConnection(logger: logger) { connection in
            try await MigrationRunner(migrations: try MigrationSet.load(from: TestCluster.migrationsDirectory)).apply(on: connection, logger: logger)
        }
        let closing = [
            "ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS false",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(name)'",
        ]
        try await home.withAdminConnection(logger: logger) { connection in
            for statement in closing {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                for worker in nodes where !worker.isCoordinator {
                    try await connection.query("SELECT dblink_exec(\(Self.connectionString(worker, database: home.database, user: home.adminUser)), \(statement))", logger: logger)
                }
            }
        }
        self.template = name
        return name
    }

    /// A copy does not inherit its template's `ALTER DATABASE … SET` settings (the distribution
    /// sets some on every node, e.g. nested execution for policies that read co-located tables):
    /// each node's are set on the copy there.
    private func copySettings(from template: String, to name: String, home: DatabaseTarget, nodes: [Node], logger: Logger) async throws {
        let settings = """
            SELECT format('ALTER DATABASE %I SET %s = %L', '\(name)', split_part(c, '=', 1), substr(c, strpos(c, '=') + 1))
            FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
            WHERE d.datname = '\(template)' AND s.setrole = 0
            """
        try await home.withAdminConnection(logger: logger) { connection in
            for statement in try await connection.query(PostgresQuery(unsafeSQL: settings), logger: logger).collect().map({ try $0.decode(String.self) }) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            for worker in nodes where !worker.isCoordinator {
                let reach = Self.connectionString(worker, database: home.database, user: home.adminUser)
                let statements = try await connection.query("SELECT s FROM dblink(\(reach), \(settings)) AS t (s text)", logger: logger)
                    .collect().map { try $0.decode(String.self) }
                for statement in statements {
                    try await connection.query("SELECT dblink_exec(\(reach), \(statement))", logger: logger)
                }
            }
        }
    }

    /// `name` on every node: a copy of `template`, or a new database with the extension.
    private func create(_ name: String, template: String?, home: DatabaseTarget, nodes: [Node], logger: Logger) async throws {
        let creating = "CREATE DATABASE \(name)" + (template.map { " TEMPLATE \($0)" } ?? "")
        try await home.withAdminConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SET citus.enable_create_database_propagation = off"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: creating), logger: logger)
            for worker in nodes where !worker.isCoordinator {
                try await connection.query("SELECT dblink_exec(\(Self.connectionString(worker, database: home.database, user: home.adminUser)), \(creating))", logger: logger)
                if template == nil {
                    try await connection.query("SELECT dblink_exec(\(Self.connectionString(worker, database: name, user: home.adminUser)), 'CREATE EXTENSION citus')", logger: logger)
                }
            }
        }
        if template == nil {
            var target = home
            target.database = name
            try await target.withAdminConnection(logger: logger) { connection in
                try await connection.query("CREATE EXTENSION citus", logger: logger)
            }
        }
    }

    /// The cluster's active primaries as the home database registers them; on first use, also
    /// drops the databases earlier test runs left on every node.
    private func clusterNodes(home: DatabaseTarget, logger: Logger) async throws -> [Node] {
        if let nodes { return nodes }
        let found = try await home.withAdminConnection(logger: logger) { connection in
            try await connection.query("CREATE EXTENSION IF NOT EXISTS dblink", logger: logger)
            var found: [Node] = []
            let rows = try await connection.query(
                "SELECT nodename, nodeport, groupid = 0 FROM pg_dist_node WHERE noderole = 'primary' AND isactive ORDER BY groupid", logger: logger
            )
            for try await (host, port, isCoordinator) in rows.decode((String, Int, Bool).self) {
                found.append(Node(host: host, port: port, isCoordinator: isCoordinator))
            }
            guard found.contains(where: { !$0.isCoordinator }) else {
                throw CitusSetupError(description: "\(home.redactedDescription) registers no worker (pg_dist_node)")
            }
            let leftovers = try await connection.query("SELECT datname FROM pg_database WHERE datname LIKE 'sbcitus\\_%'", logger: logger)
                .collect().map { try $0.decode(String.self) }
            for name in leftovers {
                try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
                for worker in found where !worker.isCoordinator {
                    try await connection.query(
                        "SELECT dblink_exec(\(Self.connectionString(worker, database: home.database, user: home.adminUser)), \("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))",
                        logger: logger
                    )
                }
            }
            return found
        }
        nodes = found
        return found
    }

    /// Without a password: the coordinator reaches its workers as Citus does.
    private static func connectionString(_ node: Node, database: String, user: String) -> String {
        "host=\(node.host) port=\(node.port) dbname=\(database) user=\(user)"
    }

    struct CitusSetupError: Error, CustomStringConvertible {
        let description: String
    }
}
