import Foundation
import Logging
import PostgresNIO
import SwitchboardStore
import XCTest

/// One throwaway PostgreSQL cluster per test process, with a migrated template database;
/// every test gets its own clone, so tests never see each other's rows.
actor TestCluster {
    static let shared = TestCluster()

    static let logger: Logger = {
        var logger = Logger(label: "switchboard-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let migrationsDirectory = repositoryRoot.appendingPathComponent("migrations")
    static let templateName = "sb_template"

    /// `initdb` and `postgres` where the server would find them: the library reads no environment,
    /// so the tests pass on what an operator's `SWITCHBOARD_PG_BIN` and `PATH` say.
    static var binaries: PostgresBinaries {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            return try PostgresBinaries.locate(explicitDirectory: environment["SWITCHBOARD_PG_BIN"], searchPath: environment["PATH"])
        }
    }

    private var running: LocalPostgresCluster?
    private var templateReady = false
    private var databaseCount = 0
    private var keyClient: PostgresClient?

    /// One key-encryption key for the test process.
    static let keyEncryptionKey = KeyEncryptionKey.generate()
    static let keyDatabaseName = "sb_keys"

    /// The key store's own database (as in production, apart from every main database), one
    /// schema per test database, used as the server's login role; its pool runs until the process ends.
    func keyStore(for database: String) async throws -> PostgresKeyStore {
        // Beside the test databases: on Citus, the coordinator (a plain database there), whose
        // roles the migrations made; otherwise the local cluster.
        let maintenance: DatabaseTarget, keys: DatabaseTarget
        if let citus = CitusTestCoordinator.shared {
            maintenance = try citus.target(database: "postgres")
            keys = try citus.target(database: Self.keyDatabaseName)
        } else {
            let cluster = try await cluster()
            maintenance = cluster.target(database: "postgres")
            keys = cluster.target(database: Self.keyDatabaseName)
        }
        let schema = "keys_\(database)"
        try await maintenance.withAdminConnection(logger: Self.logger) { connection in
            try await DatabasePlacement.createDatabaseIfMissing(Self.keyDatabaseName, on: connection, logger: Self.logger)
        }
        try await keys.withAdminConnection(logger: Self.logger) { connection in
            try await PostgresKeyStore.prepare(on: connection, schema: schema, grantTo: DatabaseTarget.applicationRole, logger: Self.logger)
        }
        let client: PostgresClient
        if let keyClient {
            client = keyClient
        } else {
            var configuration = try keys.clientConfiguration(user: DatabaseTarget.applicationRole, password: nil)
            configuration.options.maximumConnections = 8
            client = PostgresClient(configuration: configuration, backgroundLogger: Self.logger)
            Task.detached { await client.run() }
            keyClient = client
        }
        return PostgresKeyStore(client: client, kek: Self.keyEncryptionKey, schema: schema, logger: Self.logger)
    }

    /// The cluster, started on first use and stopped when the test bundle finishes.
    func cluster() async throws -> LocalPostgresCluster {
        if let running { return running }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbtest-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        let cluster = try await LocalPostgresCluster.start(.init(dataDirectory: directory, durability: .throwaway), binaries: TestCluster.binaries, logger: Self.logger)
        running = cluster
        await MainActor.run { ClusterShutdownObserver.register(cluster) }
        return cluster
    }

    /// A new database cloned from the migrated template; with `SWITCHBOARD_TEST_CITUS_URL` set,
    /// a new migrated database on that Citus cluster instead.
    func migratedDatabase() async throws -> TestDatabase {
        if let citus = CitusTestCoordinator.shared {
            let target = try await citus.migratedDatabase(logger: Self.logger)
            return TestDatabase(adminTarget: target, cluster: nil)
        }
        let cluster = try await cluster()
        if !templateReady {
            let admin = cluster.target(database: "postgres")
            try await admin.withAdminConnection(logger: Self.logger) { connection in
                try await DatabasePlacement.createDatabaseIfMissing(Self.templateName, on: connection, logger: Self.logger)
            }
            try await cluster.target(database: Self.templateName).withAdminConnection(logger: Self.logger) { connection in
                try await MigrationRunner(migrations: try MigrationSet.load(from: Self.migrationsDirectory)).apply(on: connection, logger: Self.logger)
            }
            templateReady = true
        }
        return try await newDatabase(template: Self.templateName)
    }

    /// A new database with nothing in it (not even the migrations ledger).
    func emptyDatabase() async throws -> TestDatabase {
        try await newDatabase(template: "template0")
    }

    private func newDatabase(template: String) async throws -> TestDatabase {
        let cluster = try await cluster()
        databaseCount += 1
        let name = "test_\(databaseCount)"
        try await cluster.target(database: "postgres").withAdminConnection(logger: Self.logger) { connection in
            try await DatabasePlacement.createDatabaseIfMissing(name, template: template, on: connection, logger: Self.logger)
        }
        return TestDatabase(adminTarget: cluster.target(database: name), cluster: cluster)
    }
}

/// One test's database.
struct TestDatabase: Sendable {
    /// As the cluster's superuser: for setup and inspection only.
    let adminTarget: DatabaseTarget
    /// The local test cluster the database lives in; nil on an external Citus cluster.
    let cluster: LocalPostgresCluster?

    var name: String { adminTarget.database }

    /// The local cluster, for tests that read its files or sockets; they do not run on Citus.
    func localCluster() throws -> LocalPostgresCluster {
        guard let cluster else { throw CitusTestCoordinator.CitusSetupError(description: "this test needs the local test cluster, not Citus") }
        return cluster
    }

    var placement: DatabasePlacement { DatabasePlacement(target: adminTarget, privateCluster: nil) }

    /// This database's content keys (a schema of its own in the tests' key store database).
    func keyStore() async throws -> PostgresKeyStore {
        try await TestCluster.shared.keyStore(for: name)
    }

    func vault() async throws -> ContentVault {
        ContentVault(keys: try await keyStore())
    }

    func withAdmin<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await adminTarget.withAdminConnection(logger: TestCluster.logger, body)
    }

    /// The server's own pool: the `sb_app` login role.
    func applicationClient(maxConnections: Int = 4) throws -> PostgresClient {
        PostgresClient(
            configuration: try placement.applicationClientConfiguration(password: nil, maxConnections: maxConnections),
            backgroundLogger: TestCluster.logger
        )
    }
}

extension TestDatabase {
    /// Runs `body` with a running `sb_app` pool, shut down afterwards.
    func withRunningApplicationClient<T: Sendable>(maxConnections: Int = 2, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = try applicationClient(maxConnections: maxConnections)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// Stops the shared cluster when XCTest finishes, so no postgres outlives the test run.
final class ClusterShutdownObserver: NSObject, XCTestObservation {
    private let cluster: LocalPostgresCluster

    private init(cluster: LocalPostgresCluster) {
        self.cluster = cluster
    }

    @MainActor static func register(_ cluster: LocalPostgresCluster) {
        XCTestObservationCenter.shared.addTestObserver(ClusterShutdownObserver(cluster: cluster))
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        cluster.stopBlocking()
        try? FileManager.default.removeItem(at: cluster.dataDirectory)
    }
}
