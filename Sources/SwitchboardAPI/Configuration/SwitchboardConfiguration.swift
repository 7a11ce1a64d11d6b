import Configuration
package import Foundation
import Logging
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore

/// Every setting of the `switchboard` executable as typed values, read once at start and passed down.
///
/// Read from, in this order: the command's parsed flags, the environment, the defaults of
/// ``SwitchboardSetting``'s declaration (a swift-configuration `ConfigReader` over an
/// `InMemoryProvider`, an `EnvironmentVariablesProvider` and another `InMemoryProvider`). Nothing
/// below the command reads the environment.
package struct SwitchboardConfiguration: Sendable {
    /// What every command that reaches the database uses.
    package struct Database: Sendable {
        /// `DATABASE_URL`; nil or empty starts the private cluster.
        package var url: String?
        /// `SWITCHBOARD_APP_PASSWORD`.
        package var applicationPassword: String?
        package var dataDirectory: URL
        /// The flag or `SWITCHBOARD_MIGRATIONS_DIR`, else the search of ``MigrationSet/defaultDirectory(explicit:)``.
        package var migrationsDirectory: URL
        /// `SWITCHBOARD_PG_BIN`, searched before the installed versions and `PATH`.
        package var postgresBinDirectory: String?
        /// `SWITCHBOARD_PG_USER`.
        package var clusterUser: String
        /// The process's `PATH` (not a Switchboard setting): the last place `initdb` and `postgres` are looked for.
        package var executableSearchPath: String?

        package func loadMigrations() throws -> MigrationSet {
            try MigrationSet.load(from: migrationsDirectory)
        }

        package func placement(logger: Logger) async throws -> DatabasePlacement {
            try await DatabasePlacement.resolve(
                databaseURL: url, dataDirectory: dataDirectory, clusterUser: clusterUser,
                postgresBinDirectory: postgresBinDirectory, searchPath: executableSearchPath, logger: logger
            )
        }
    }

    /// Where content keys live and what wraps them.
    package struct Keys: Sendable {
        /// `SWITCHBOARD_KEK`.
        package var keyEncryptionKey: String?
        /// `SWITCHBOARD_KEK_FILE`; nil uses ``defaultKeyEncryptionKeyFile``, made on first start.
        package var keyEncryptionKeyFile: URL?
        package var defaultKeyEncryptionKeyFile: URL
        /// `SWITCHBOARD_KEYSTORE_URL`; nil is `<database>_keys` beside the main database.
        package var keyStoreURL: String?
    }

    package var database: Database
    package var keys: Keys
    package var logLevel: Logger.Level
    package var host: String
    package var port: Int
    /// Apply pending migrations at start.
    package var migrate: Bool
    package var bootstrapToken: String?
    /// How often the retention job runs; nil when set to 0 (run from cron instead).
    package var retentionInterval: Duration?
    package var traffic: TrafficSettings
    package var inventory: InventorySettings
    package var trustedProxies: Set<String>
    /// The managers' portal: whether its cookies may travel over plain HTTP.
    package var portal: PortalSettings
    /// Nameservers for hostname verification; nil asks those of /etc/resolv.conf.
    package var dnsNameservers: [String]?
    package var databaseDeadlines: DatabaseDeadlines
    package var connectionLimits: ConnectionLimits
    /// Webhook delivery; `webhookDelivery` is false when its interval is 0 (no delivery job in this process).
    package var webhooks: WebhookSettings
    package var webhookDelivery: Bool

    /// Each setting's text as read (after flags, environment and defaults), for ``description``.
    private let texts: [SwitchboardSetting: String]
    private let scope: SwitchboardSetting.Scope

    /// Reads the settings `scope`'s commands use; the rest keep their declared defaults unvalidated.
    ///
    /// - Parameters:
    ///   - flags: the values the command's flags gave, by setting (they win).
    ///   - environment: the process environment, read once by the caller.
    /// - Throws: ``SwitchboardConfigurationError`` naming the flag or variable and its rule.
    package init(flags: [SwitchboardSetting: String] = [:], environment: [String: String], scope: SwitchboardSetting.Scope = .serve) throws {
        let source = Source(flags: flags, environment: environment, scope: scope)
        self.scope = scope
        self.texts = source.texts
        database = Database(
            url: source.string(.databaseURL),
            applicationPassword: source.string(.applicationPassword),
            dataDirectory: URL(fileURLWithPath: source.string(.dataDirectory) ?? ""),
            migrationsDirectory: MigrationSet.defaultDirectory(explicit: source.string(.migrationsDirectory)),
            postgresBinDirectory: source.string(.postgresBin),
            clusterUser: source.string(.postgresUser) ?? "postgres",
            executableSearchPath: environment["PATH"]
        )
        keys = Keys(
            keyEncryptionKey: source.string(.keyEncryptionKey),
            keyEncryptionKeyFile: source.string(.keyEncryptionKeyFile).flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) },
            defaultKeyEncryptionKeyFile: database.dataDirectory.appendingPathComponent("kek"),
            keyStoreURL: source.string(.keyStoreURL)
        )
        // As before: an unknown level logs at info rather than refusing to start.
        logLevel = source.string(.logLevel).flatMap(Logger.Level.init(rawValue:)) ?? .info
        host = source.string(.host) ?? ""
        port = try source.integer(.port)
        migrate = source.bool(.migrate)
        bootstrapToken = source.string(.bootstrapToken)
        let retentionSeconds = try source.integer(.retentionIntervalSeconds)
        retentionInterval = retentionSeconds == 0 ? nil : .seconds(retentionSeconds)
        traffic = TrafficSettings(
            maxBatchBytes: try source.integer(.cdrBatchMaxBytes),
            analyticsMinimumSubscribers: try source.integer(.analyticsMinSubscribers)
        )
        inventory = InventorySettings(quarantine: QuarantineRule(days: try source.integer(.numberQuarantineDays)))
        trustedProxies = ClientAddress.trustedProxies(from: source.string(.trustedProxies))
        portal = PortalSettings(insecureCookies: source.bool(.insecureCookies))
        dnsNameservers = source.string(.dnsNameservers).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        databaseDeadlines = DatabaseDeadlines(
            connectionWait: .seconds(try source.integer(.databaseWaitSeconds)),
            transaction: .seconds(try source.integer(.databaseTransactionTimeoutSeconds)),
            longTransaction: .seconds(try source.integer(.databaseBatchTimeoutSeconds))
        )
        let webhookSeconds = try source.integer(.webhookIntervalSeconds)
        webhooks = WebhookSettings(
            allowsLocalTrial: source.bool(.webhookLocalTrial),
            interval: .seconds(max(webhookSeconds, 1)),
            firstRetry: .seconds(try source.integer(.webhookFirstRetrySeconds))
        )
        webhookDelivery = webhookSeconds > 0
        connectionLimits = ConnectionLimits(
            idleTimeout: .seconds(try source.integer(.idleTimeoutSeconds)),
            headerReadTimeout: .seconds(try source.integer(.headerTimeoutSeconds)),
            bodyReadTimeout: .seconds(try source.integer(.bodyTimeoutSeconds)),
            maxConnections: try source.integer(.maxConnections)
        )
    }
}

extension SwitchboardConfiguration: CustomStringConvertible {
    /// `NAME=value` for every setting the command read; a secret shows only whether it is set.
    package var description: String {
        SwitchboardSetting.allCases
            .filter { scope == .serve || $0.declaration.scope == .everyCommand }
            .map { setting in
                let name = setting.declaration.environmentName
                guard let text = texts[setting] else { return "\(name) unset" }
                return setting.isSecret ? "\(name)=<redacted>" : "\(name)=\(text)"
            }
            .joined(separator: " ")
    }
}

/// A setting's value broke its rule; the message names the flag or variable that gave it.
package struct SwitchboardConfigurationError: Error, CustomStringConvertible, Equatable {
    package let setting: SwitchboardSetting
    package let description: String
}

extension SwitchboardConfiguration {
    /// The providers in priority order, and the rules that turn a setting's text into its value.
    private struct Source {
        let flags: [SwitchboardSetting: String]
        let texts: [SwitchboardSetting: String]

        init(flags: [SwitchboardSetting: String], environment: [String: String], scope: SwitchboardSetting.Scope) {
            func values(_ pairs: [(SwitchboardSetting, String)]) -> [AbsoluteConfigKey: ConfigValue] {
                Dictionary(uniqueKeysWithValues: pairs.map { setting, text in
                    (AbsoluteConfigKey(ConfigKey(setting.declaration.key)), ConfigValue(.string(text), isSecret: setting.isSecret))
                })
            }
            let secretNames = Set(SwitchboardSetting.allCases.filter(\.isSecret).map(\.declaration.environmentName))
            let reader = ConfigReader(providers: [
                InMemoryProvider(name: "flags", values: values(flags.map { ($0.key, $0.value) })),
                EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secretNames)),
                InMemoryProvider(name: "defaults", values: values(SwitchboardSetting.allCases.compactMap { setting in
                    setting.declaration.defaultValue.map { (setting, $0) }
                })),
            ])
            var texts: [SwitchboardSetting: String] = [:]
            for setting in SwitchboardSetting.allCases {
                let row = setting.declaration
                // A setting outside the command's scope keeps its default, whatever the environment says.
                let text = scope == .serve || row.scope == .everyCommand
                    ? reader.string(forKey: ConfigKey(row.key), isSecret: setting.isSecret)
                    : row.defaultValue
                texts[setting] = text
            }
            self.flags = flags
            self.texts = texts
        }

        func string(_ setting: SwitchboardSetting) -> String? { texts[setting] }

        /// `SWITCHBOARD_MIGRATE=false` and `--no-migrate` turn it off; any other text leaves it on, as before.
        func bool(_ setting: SwitchboardSetting) -> Bool {
            texts[setting]?.lowercased() != "false"
        }

        func integer(_ setting: SwitchboardSetting) throws -> Int {
            let row = setting.declaration
            guard case .integer(let rule) = row.kind else { preconditionFailure("\(row.environmentName) is not an integer setting") }
            guard let text = texts[setting] else { preconditionFailure("\(row.environmentName) has no default") }
            let name = flags[setting] != nil ? row.flagSpelling ?? row.environmentName : row.environmentName
            let value = Int(text)
            switch rule {
            case .port:
                guard let value, (0...65535).contains(value) else { throw SwitchboardConfigurationError(setting: setting, description: "\(name) must be a port number") }
                return value
            case .positive:
                guard let value, value > 0 else {
                    throw SwitchboardConfigurationError(setting: setting, description: "\(name) must be a whole number above 0, not '\(text)'")
                }
                return value
            case .positiveOrZeroToDisable:
                guard let value, value >= 0 else {
                    throw SwitchboardConfigurationError(setting: setting, description: "\(name) must be a whole number (0 to disable), not '\(text)'")
                }
                return value
            }
        }
    }
}

extension SwitchboardConfiguration.Keys {
    /// The key-encryption key: `SWITCHBOARD_KEK`, else the file `SWITCHBOARD_KEK_FILE` names
    /// (which must exist), else the data directory's `kek`, made with mode 0600 on first start
    /// and announced with its location (it must be backed up, apart from the databases).
    package func loadKeyEncryptionKey(logger: Logger) throws -> KeyEncryptionKey {
        try loadOrMakeKeyEncryptionKey(logger: logger).key
    }

    /// As ``loadKeyEncryptionKey(logger:)``, saying whether the key was made just now.
    package func loadOrMakeKeyEncryptionKey(logger: Logger) throws -> (key: KeyEncryptionKey, madeNow: Bool) {
        if let keyEncryptionKey, !keyEncryptionKey.isEmpty {
            do {
                return (try KeyEncryptionKey(base64: keyEncryptionKey), false)
            } catch {
                throw SwitchboardConfigurationError(setting: .keyEncryptionKey, description: "SWITCHBOARD_KEK: \(error)")
            }
        }
        if let keyEncryptionKeyFile {
            return (try KeyEncryptionKey.load(file: keyEncryptionKeyFile), false)
        }
        let (key, created) = try KeyEncryptionKey.loadOrCreate(file: defaultKeyEncryptionKeyFile)
        if created {
            logger.notice("generated the key-encryption key that wraps every person's content key; back it up apart from the databases (without it no content can be read)",
                          metadata: ["file": "\(defaultKeyEncryptionKeyFile.path)", "mode": "0600", "kek_id": "\(key.id)"])
        }
        return (key, created)
    }
}

extension SwitchboardConfiguration.Keys {
    /// Opens the key store with `kek`. When the default key file was just made but the store holds
    /// keys another key wrapped, the original file went missing: the new file is removed again (so
    /// the original can be restored in its place) and the message says so.
    package func openKeyStore(placement: DatabasePlacement, applicationPassword: String?, kek: (key: KeyEncryptionKey, madeNow: Bool),
                              maxConnections: Int, logger: Logger) async throws -> KeyStoreDatabase {
        do {
            return try await KeyStoreDatabase.open(placement: placement, url: keyStoreURL, applicationPassword: applicationPassword, kek: kek.key,
                                                   maxConnections: maxConnections, logger: logger)
        } catch KeyStoreError.wrongKeyEncryptionKey(_, let found) where kek.madeNow {
            try? FileManager.default.removeItem(at: defaultKeyEncryptionKeyFile)
            throw SwitchboardConfigurationError(
                setting: .keyEncryptionKeyFile,
                description: "the key-encryption key file \(defaultKeyEncryptionKeyFile.path) was missing, but the key store holds content keys wrapped by key \(found): "
                    + "restore that key's file from its backup (the new key made in its place was removed again)"
            )
        }
    }
}
