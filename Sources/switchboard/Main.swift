import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import SwitchboardAPI
import SwitchboardJobs
import SwitchboardStore

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Multi-tenant, white-label telecom backend.",
        subcommands: [Serve.self, Migrate.self, Audit.self, Retention.self]
    )

    static func main() async {
        runTasksOnEventLoops()
        await main(nil)
    }
}

/// Options shared by every command that reaches the database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Data directory of the private PostgreSQL cluster used when DATABASE_URL is unset (env SWITCHBOARD_DATA_DIR).")
    var dataDir: String?

    @Option(help: "Directory holding NNNN_name.sql migrations (env SWITCHBOARD_MIGRATIONS_DIR; default ./migrations).")
    var migrationsDir: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var dataDirectory: URL {
        URL(fileURLWithPath: dataDir ?? environment["SWITCHBOARD_DATA_DIR"] ?? ".switchboard")
    }

    func loadMigrations() throws -> MigrationSet {
        let directory = migrationsDir.map { URL(fileURLWithPath: $0) } ?? MigrationSet.defaultDirectory(environment: environment)
        return try MigrationSet.load(from: directory)
    }

    func placement(logger: Logger) async throws -> DatabasePlacement {
        try await DatabasePlacement.resolve(databaseURL: environment["DATABASE_URL"], dataDirectory: dataDirectory, logger: logger)
    }

    var applicationPassword: String? { environment["SWITCHBOARD_APP_PASSWORD"] }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (with a private PostgreSQL when DATABASE_URL is unset).")

    @Option(help: "Address to listen on (env SWITCHBOARD_HOST).")
    var host: String?

    @Option(help: "Port to listen on (env SWITCHBOARD_PORT).")
    var port: Int?

    @Flag(help: "Do not apply pending migrations at start (env SWITCHBOARD_MIGRATE=false); /ready stays 503 until they are applied.")
    var noMigrate = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = database.environment
        let logger = makeLogger()
        let host = host ?? environment["SWITCHBOARD_HOST"] ?? "127.0.0.1"
        let port = try port ?? environment["SWITCHBOARD_PORT"].map { value in
            guard let port = Int(value), (0...65535).contains(port) else { throw ValidationError("SWITCHBOARD_PORT must be a port number") }
            return port
        } ?? 8080
        let migrate = !noMigrate && environment["SWITCHBOARD_MIGRATE"]?.lowercased() != "false"
        let retentionInterval = try positiveInteger(environment, "SWITCHBOARD_RETENTION_INTERVAL_SECONDS", default: 3600, allowZero: true)
        let traffic = TrafficSettings(
            maxBatchBytes: try positiveInteger(environment, "SWITCHBOARD_CDR_BATCH_MAX_BYTES", default: 512 << 20),
            analyticsMinimumSubscribers: try positiveInteger(environment, "SWITCHBOARD_ANALYTICS_MIN_SUBSCRIBERS", default: 10)
        )
        let deadlines = DatabaseDeadlines(
            connectionWait: .seconds(try positiveInteger(environment, "SWITCHBOARD_DB_WAIT_SECONDS", default: 5)),
            transaction: .seconds(try positiveInteger(environment, "SWITCHBOARD_DB_TRANSACTION_TIMEOUT_SECONDS", default: 15)),
            longTransaction: .seconds(try positiveInteger(environment, "SWITCHBOARD_DB_BATCH_TIMEOUT_SECONDS", default: 600))
        )
        let connectionLimits = ConnectionLimits(
            idleTimeout: .seconds(try positiveInteger(environment, "SWITCHBOARD_IDLE_TIMEOUT_SECONDS", default: 60)),
            headerReadTimeout: .seconds(try positiveInteger(environment, "SWITCHBOARD_HEADER_TIMEOUT_SECONDS", default: 10)),
            bodyReadTimeout: .seconds(try positiveInteger(environment, "SWITCHBOARD_BODY_TIMEOUT_SECONDS", default: 30)),
            maxConnections: try positiveInteger(environment, "SWITCHBOARD_MAX_CONNECTIONS", default: 512)
        )

        let bootstrapToken = environment["SWITCHBOARD_BOOTSTRAP_TOKEN"]

        try await reportingFailures(logger: logger) {
            try PlatformBootstrap.validate(token: bootstrapToken)
            let migrations = try database.loadMigrations()
            let placement = try await database.placement(logger: logger)
            do {
                if migrate {
                    try await placement.migrate(migrations, applicationPassword: database.applicationPassword, logger: logger)
                }
                let client = PostgresClient(
                    configuration: try placement.applicationClientConfiguration(password: database.applicationPassword, maxConnections: 20),
                    eventLoopGroup: ConnectionSpreadingEventLoopGroup(),
                    backgroundLogger: logger
                )
                // One registry for the server and its jobs, served by GET /metrics.
                let metrics = ServerMetrics()
                var jobDatabase = ScopedDatabase(client: client, deadlines: deadlines)
                jobDatabase.poolObserver = metrics
                let jobs = retentionInterval == 0 ? [] : [RetentionJob(database: jobDatabase, interval: .seconds(retentionInterval), logger: logger, observer: metrics)]
                let app = try buildApplication(
                    AppDependencies(
                        database: client, migrations: migrations, passwords: PasswordHasher(), traffic: traffic,
                        trustedProxies: ClientAddress.trustedProxies(from: environment["SWITCHBOARD_TRUSTED_PROXIES"]),
                        databaseDeadlines: deadlines, connectionLimits: connectionLimits, metrics: metrics
                    ),
                    configuration: .init(address: .hostname(host, port: port), serverName: "switchboard"),
                    logger: logger,
                    jobs: jobs
                )
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await app.runService() }
                    // The pool runs as a service of the app; bootstrap once it is up.
                    group.addTask {
                        try await bootstrapAdminKey(ScopedDatabase(client: client, deadlines: deadlines), token: bootstrapToken, logger: logger)
                    }
                    try await group.waitForAll()
                }
            } catch {
                await placement.shutdown()
                throw ServeError.describe(error, host: host, port: port)
            }
            await placement.shutdown()
            logger.info("stopped")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations to DATABASE_URL (or the private cluster) and exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger()
        try await reportingFailures(logger: logger) {
            let migrations = try database.loadMigrations()
            let placement = try await database.placement(logger: logger)
            do {
                try await placement.migrate(migrations, applicationPassword: database.applicationPassword, logger: logger)
            } catch {
                await placement.shutdown()
                throw error
            }
            await placement.shutdown()
        }
    }
}

/// An integer setting from the environment, or a clear error naming it.
func positiveInteger(_ environment: [String: String], _ name: String, default fallback: Int, allowZero: Bool = false) throws -> Int {
    guard let text = environment[name] else { return fallback }
    guard let value = Int(text), value > 0 || (allowZero && value == 0) else {
        throw ValidationError("\(name) must be a whole number\(allowZero ? " (0 to disable)" : " above 0"), not '\(text)'")
    }
    return value
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "CDR partitions and retention (DESIGN §3).", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create CDR partitions ahead, drop months past the 12-month logging duty, purge expired records; logged in platform.retention_runs."
        )

        @Flag(help: "Report what would be created, dropped and purged, and change nothing.")
        var dryRun = false

        @Option(help: "Judge ages by this date or instant instead of the current time (2027-12-01 or 2027-12-01T06:00:00Z, UTC).")
        var now: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = makeLogger()
            let clock: Date
            if let now {
                let text = now.count == 10 ? now + "T00:00:00Z" : now
                guard let instant = ISO8601DateFormatter().date(from: text) else {
                    throw ValidationError("--now must be a date such as 2027-12-01 or an RFC 3339 date-time such as 2027-12-01T06:00:00Z")
                }
                clock = instant
            } else {
                clock = Date()
            }
            var skipped = false
            try await reportingFailures(logger: logger) {
                let placement = try await database.placement(logger: logger)
                do {
                    let client = PostgresClient(
                        configuration: try placement.applicationClientConfiguration(password: database.applicationPassword, maxConnections: 1),
                        backgroundLogger: logger
                    )
                    let run = try await withThrowingTaskGroup(of: RetentionRun?.self) { group in
                        group.addTask { await client.run(); return nil }
                        defer { group.cancelAll() }
                        return try await RetentionRunner(database: ScopedDatabase(client: client)).run(clock: clock, dryRun: dryRun, trigger: .command, logger: logger)
                    }
                    if let run {
                        print(RetentionReport.text(run))
                    } else {
                        print("another retention run holds the lock (a server replica?); nothing done")
                        skipped = true
                    }
                } catch {
                    await placement.shutdown()
                    throw error
                }
                await placement.shutdown()
            }
            if skipped { throw ExitCode(75) }  // EX_TEMPFAIL: try again later
        }
    }
}

/// Creates the platform's first admin key on an empty database; a generated secret is printed once.
func bootstrapAdminKey(_ database: ScopedDatabase, token: String?, logger: Logger) async throws {
    switch try await PlatformBootstrap.ensureAdminKey(database: database, token: token, logger: logger) {
    case .alreadyBootstrapped:
        break
    case .adoptedToken:
        logger.notice("platform admin API key created from SWITCHBOARD_BOOTSTRAP_TOKEN")
    case .generated(let secret):
        // Straight to stdout, unbuffered, and never into the log.
        FileHandle.standardOutput.write(Data("""
            Platform admin API key (shown once; store it now):
              \(secret)
            Use it as: Authorization: Bearer <key>

            """.utf8))
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute every hash chain of the audit trail; exit 1 at the first broken link.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = makeLogger()
            var broken = false
            try await reportingFailures(logger: logger) {
                let placement = try await database.placement(logger: logger)
                do {
                    let report = try await placement.target.withAdminConnection(logger: logger) { connection in
                        try await AuditVerifier.verify(on: connection, logger: logger)
                    }
                    if let firstBreak = report.firstBreak {
                        print("audit trail BROKEN: \(firstBreak) (\(report.events) events in \(report.chains) chains checked)")
                        broken = true
                    } else {
                        print("audit trail intact: \(report.events) events in \(report.chains) chains")
                    }
                } catch {
                    await placement.shutdown()
                    throw error
                }
                await placement.shutdown()
            }
            if broken { throw ExitCode.failure }
        }
    }
}

enum ServeError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int)

    var description: String {
        switch self {
        case .portInUse(let host, let port):
            return "Port \(port) on \(host) is already in use. Fix: stop the program using it, or choose another with --port or SWITCHBOARD_PORT."
        }
    }

    static func describe(_ error: any Error, host: String, port: Int) -> any Error {
        if let ioError = error as? IOError, ioError.errnoCode == EADDRINUSE {
            return ServeError.portInUse(host: host, port: port)
        }
        if "\(error)".contains("Address already in use") {
            return ServeError.portInUse(host: host, port: port)
        }
        return error
    }
}

func makeLogger() -> Logger {
    let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "switchboard")
}

/// Prints a failure as the operator-facing message it carries and exits non-zero,
/// instead of a Swift error dump.
func reportingFailures(logger: Logger, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("switchboard: \(PostgresErrorDescription.describe(error))\n".utf8))
        throw ExitCode.failure
    }
}
