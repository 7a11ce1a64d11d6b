import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import SwitchboardAPI
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Multi-tenant, white-label telecom backend.",
        subcommands: [Serve.self, Migrate.self, Health.self, Audit.self, Retention.self, Keys.self, ReceiptCommand.self]
    )

    static func main() async {
        runTasksOnEventLoops()
        await main(nil)
    }
}

/// Options shared by every command that reaches the database; their names and help come from
/// ``SwitchboardSetting``'s declaration.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong(SwitchboardSetting.dataDirectory.declaration.flag!), help: ArgumentHelp(SwitchboardSetting.dataDirectory.helpLine))
    var dataDir: String?

    @Option(name: .customLong(SwitchboardSetting.migrationsDirectory.declaration.flag!), help: ArgumentHelp(SwitchboardSetting.migrationsDirectory.helpLine))
    var migrationsDir: String?

    var flags: [SwitchboardSetting: String] {
        var flags: [SwitchboardSetting: String] = [:]
        flags[.dataDirectory] = dataDir
        flags[.migrationsDirectory] = migrationsDir
        return flags
    }

    /// The settings every command reads, from these flags, the environment and the defaults; read once, here.
    func configuration(adding extra: [SwitchboardSetting: String] = [:], scope: SwitchboardSetting.Scope = .everyCommand) throws -> SwitchboardConfiguration {
        do {
            return try SwitchboardConfiguration(
                flags: flags.merging(extra) { _, new in new }, environment: ProcessInfo.processInfo.environment, scope: scope
            )
        } catch let error as SwitchboardConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (with a private PostgreSQL when DATABASE_URL is unset).",
        discussion: SwitchboardSetting.helpListing(scope: .serve)
    )

    @Option(name: .customLong(SwitchboardSetting.host.declaration.flag!), help: ArgumentHelp(SwitchboardSetting.host.helpLine))
    var host: String?

    @Option(name: .customLong(SwitchboardSetting.port.declaration.flag!), help: ArgumentHelp(SwitchboardSetting.port.helpLine))
    var port: Int?

    @Flag(name: .customLong(SwitchboardSetting.migrate.declaration.flag!), help: ArgumentHelp(SwitchboardSetting.migrate.helpLine))
    var noMigrate = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var flags: [SwitchboardSetting: String] = [:]
        flags[.host] = host
        flags[.port] = port.map(String.init)
        if noMigrate { flags[.migrate] = "false" }
        let configuration = try database.configuration(adding: flags, scope: .serve)
        let logger = makeLogger(configuration)
        let host = configuration.host, port = configuration.port
        let deadlines = configuration.databaseDeadlines
        let bootstrapToken = configuration.bootstrapToken
        let applicationPassword = configuration.database.applicationPassword

        try await reportingFailures(logger: logger) {
            try PlatformBootstrap.validate(token: bootstrapToken)
            let kek = try configuration.keys.loadOrMakeKeyEncryptionKey(logger: logger)
            let migrations = try configuration.database.loadMigrations()
            let placement = try await configuration.database.placement(logger: logger)
            do {
                if configuration.migrate {
                    try await placement.migrate(migrations, applicationPassword: applicationPassword, logger: logger)
                }
                let client = PostgresClient(
                    configuration: try placement.applicationClientConfiguration(password: applicationPassword, maxConnections: 20),
                    eventLoopGroup: ConnectionSpreadingEventLoopGroup(),
                    backgroundLogger: logger
                )
                let keys = try await configuration.keys.openKeyStore(placement: placement, applicationPassword: applicationPassword, kek: kek,
                                                                      maxConnections: 8, logger: logger)
                let vault = ContentVault(keys: keys.store)
                // One registry for the server and its jobs, served by GET /metrics.
                let metrics = ServerMetrics()
                var jobDatabase = ScopedDatabase(client: client, deadlines: deadlines)
                jobDatabase.poolObserver = metrics
                let quarantine = configuration.inventory.quarantine
                let webhookSender = try WebhookSender(policy: configuration.webhooks.addressPolicy)
                let jobs: [any Service] = [keys.client] + (configuration.retentionInterval.map { interval in
                    [RetentionJob(runner: RetentionRunner(database: jobDatabase, vault: vault, quarantine: quarantine, maintenance: placement.target),
                                  interval: interval, logger: logger, observer: metrics,
                                  anonymiser: ScheduledAnonymiser(database: jobDatabase, quarantine: quarantine, vault: vault))]
                } ?? []) + (configuration.webhookDelivery
                    ? [WebhookDeliveryJob(queue: WebhookDeliveryQueue(database: jobDatabase), sender: webhookSender, keys: keys.store,
                                          settings: configuration.webhooks, logger: logger)]
                    : [])
                let startup = StartupGate(open: false)
                var dependencies = try AppDependencies(
                    database: client, migrations: migrations, passwords: PasswordHasher(), keyStore: keys.store,
                    traffic: configuration.traffic, inventory: configuration.inventory,
                    trustedProxies: configuration.trustedProxies,
                    databaseDeadlines: deadlines, connectionLimits: configuration.connectionLimits, metrics: metrics,
                    hostnameResolver: DNSTXTResolver(nameservers: configuration.dnsNameservers), portal: configuration.portal,
                    webhooks: configuration.webhooks, webhookSender: webhookSender
                )
                dependencies.startup = startup
                let app = try buildApplication(
                    dependencies,
                    // No Server header: a reseller's managers must not learn which product serves their portal.
                    configuration: .init(address: .hostname(host, port: port)),
                    logger: logger,
                    jobs: jobs
                )
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await app.runService() }
                    // The pool runs as a service of the app; bootstrap once it is up.
                    group.addTask {
                        try await bootstrapAdminKey(ScopedDatabase(client: client, deadlines: deadlines), token: bootstrapToken, logger: logger)
                        startup.markDone()
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
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations to DATABASE_URL (or the private cluster) and exit.",
        discussion: SwitchboardSetting.helpListing(scope: .everyCommand)
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try database.configuration()
        let logger = makeLogger(configuration)
        try await reportingFailures(logger: logger) {
            let migrations = try configuration.database.loadMigrations()
            let placement = try await configuration.database.placement(logger: logger)
            do {
                try await placement.migrate(migrations, applicationPassword: configuration.database.applicationPassword, logger: logger)
            } catch {
                await placement.shutdown()
                throw error
            }
            await placement.shutdown()
        }
    }
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Retention rules (DESIGN §3, docs/retention-policy.md).", subcommands: [Run.self, Policy.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Carry out every retention rule once (the server's job does it every interval); logged in platform.retention_runs.",
            discussion: SwitchboardSetting.helpListing(scope: .everyCommand)
        )

        @Flag(help: "Report what each rule would delete, and change nothing.")
        var dryRun = false

        @Option(help: "Judge ages by this date or instant instead of the current time (2027-12-01 or 2027-12-01T06:00:00Z, UTC).")
        var now: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let configuration = try database.configuration()
            let logger = makeLogger(configuration)
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
                let kek = try configuration.keys.loadOrMakeKeyEncryptionKey(logger: logger)
                let placement = try await configuration.database.placement(logger: logger)
                do {
                    // Three connections: the run's lock, its transactions, and the key store's.
                    let client = PostgresClient(
                        configuration: try placement.applicationClientConfiguration(password: configuration.database.applicationPassword, maxConnections: 3),
                        backgroundLogger: logger
                    )
                    let keys = try await configuration.keys.openKeyStore(placement: placement, applicationPassword: configuration.database.applicationPassword,
                                                                          kek: kek, maxConnections: 2, logger: logger)
                    let (run, anonymisations) = try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await client.run() }
                        group.addTask { await keys.client.run() }
                        defer { group.cancelAll() }
                        let database = ScopedDatabase(client: client)
                        let vault = ContentVault(keys: keys.store)
                        let quarantine = configuration.inventory.quarantine
                        let run = try await RetentionRunner(database: database, vault: vault, quarantine: quarantine, maintenance: placement.target)
                            .run(clock: clock, dryRun: dryRun, trigger: .command, logger: logger)
                        // The other scheduled duty, so operators have one runner: anonymisations due by `clock`.
                        let anonymiser = ScheduledAnonymiser(database: database, quarantine: quarantine, vault: vault)
                        let anonymisations: String
                        if dryRun {
                            let due = try await anonymiser.due(clock: clock, logger: logger)
                            anonymisations = "would carry out \(due.count) scheduled anonymisation(s)"
                        } else {
                            anonymisations = try await anonymiser.run(clock: clock, logger: logger).summary
                        }
                        return (run, anonymisations)
                    }
                    print(anonymisations)
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

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the retention policy as Markdown (the text of docs/retention-policy.md); reaches no database."
        )

        func run() async throws {
            print(RetentionPolicy.markdown, terminator: "")
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The key-encryption key that wraps every person's content key.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every content key under a new key-encryption key; content is not touched.",
            discussion: """
                With the key in a file (SWITCHBOARD_KEK_FILE or the data directory's kek), the new key is written beside it \
                first (<file>.next, mode 0600), every data key is re-wrapped in one transaction, and the new key then \
                replaces the file. With SWITCHBOARD_KEK, give --new-key-file: the new key is written there, and \
                SWITCHBOARD_KEK must be set to it before the next start. Stop the servers first, or restart them after.

                """ + SwitchboardSetting.helpListing(scope: .everyCommand)
        )

        @Option(help: "Write the new key to this file (required when the current key comes from SWITCHBOARD_KEK).")
        var newKeyFile: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let configuration = try database.configuration()
            let logger = makeLogger(configuration)
            let keysSettings = configuration.keys
            let fromEnvironment = !(keysSettings.keyEncryptionKey ?? "").isEmpty
            let currentFile = keysSettings.keyEncryptionKeyFile ?? keysSettings.defaultKeyEncryptionKeyFile
            if fromEnvironment, newKeyFile == nil {
                throw ValidationError("the key-encryption key comes from SWITCHBOARD_KEK: give --new-key-file PATH for the new one")
            }
            try await reportingFailures(logger: logger) {
                let kek = try keysSettings.loadKeyEncryptionKey(logger: logger)
                let newKey = KeyEncryptionKey.generate()
                let staging = newKeyFile.map { URL(fileURLWithPath: $0) } ?? currentFile.appendingPathExtension("next")
                // Written before any data key moves: a crash from here on leaves a key that opens them.
                try newKey.writeAtomically(to: staging)
                let placement = try await configuration.database.placement(logger: logger)
                do {
                    let keys = try await KeyStoreDatabase.open(placement: placement, url: keysSettings.keyStoreURL,
                                                               applicationPassword: configuration.database.applicationPassword, kek: kek, maxConnections: 1, logger: logger)
                    let count = try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await keys.client.run() }
                        defer { group.cancelAll() }
                        return try await keys.store.rewrapAll(to: newKey)
                    }
                    if !fromEnvironment, newKeyFile == nil {
                        guard rename(staging.path, currentFile.path) == 0 else {
                            throw ValidationError("re-wrapped \(count) key(s) under \(newKey.id), but could not replace \(currentFile.path): move \(staging.path) over it by hand")
                        }
                        print("re-wrapped \(count) content key(s) under key-encryption key \(newKey.id); \(currentFile.path) now holds it (the old key is gone)")
                    } else {
                        print("re-wrapped \(count) content key(s) under key-encryption key \(newKey.id), written to \(staging.path); "
                              + (fromEnvironment ? "set SWITCHBOARD_KEK to its content" : "set SWITCHBOARD_KEK_FILE to it") + " before the next start")
                    }
                } catch {
                    await placement.shutdown()
                    throw error
                }
                await placement.shutdown()
            }
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
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash chain of the audit trail; exit 1 at the first broken link.",
            discussion: SwitchboardSetting.helpListing(scope: .everyCommand)
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let configuration = try database.configuration()
            let logger = makeLogger(configuration)
            var broken = false
            try await reportingFailures(logger: logger) {
                let placement = try await configuration.database.placement(logger: logger)
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

/// The process's logger at the configured level, with the configuration logged once (secrets redacted).
func makeLogger(_ configuration: SwitchboardConfiguration) -> Logger {
    let level = configuration.logLevel
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    let logger = Logger(label: "switchboard")
    logger.info("configuration", metadata: ["settings": "\(configuration)"])
    return logger
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
