/// Every setting of the `switchboard` executable, declared once.
///
/// ``declaration`` is the table: its configuration key, environment variable, flag, default, kind and
/// help text. ``SwitchboardConfiguration`` reads the settings from it, `switchboard serve --help`
/// lists them from it, and `ConfigurationTests` holds README.md's configuration table against it.
/// Adding a case without a row does not compile.
package enum SwitchboardSetting: CaseIterable, Sendable, Hashable {
    case databaseURL, applicationPassword, bootstrapToken
    case host, port, migrate
    case dataDirectory, migrationsDirectory, postgresBin, postgresUser
    case retentionIntervalSeconds, cdrBatchMaxBytes, analyticsMinSubscribers, trustedProxies, numberQuarantineDays
    case databaseWaitSeconds, databaseTransactionTimeoutSeconds, databaseBatchTimeoutSeconds
    case idleTimeoutSeconds, headerTimeoutSeconds, bodyTimeoutSeconds, maxConnections
    case insecureCookies, dnsNameservers
    case webhookLocalTrial, webhookIntervalSeconds, webhookFirstRetrySeconds
    case keyEncryptionKey, keyEncryptionKeyFile, keyStoreURL
    case logLevel

    package var declaration: Declaration {
        switch self {
        // key, environment variable, flag, default (nil: unset), kind, help
        case .databaseURL: .init("database.url", "DATABASE_URL", nil, nil, .secret, "PostgreSQL server to use (postgres://user:password@host:5432/db?sslmode=require) instead of a private cluster", scope: .everyCommand)
        case .applicationPassword: .init("switchboard.appPassword", "SWITCHBOARD_APP_PASSWORD", nil, nil, .secret, "Password of the sb_app login role the server's pool uses; migrate and serve set it", scope: .everyCommand)
        case .bootstrapToken: .init("switchboard.bootstrapToken", "SWITCHBOARD_BOOTSTRAP_TOKEN", nil, nil, .secret, "On first start with an empty database, becomes the platform admin's API key (at least 32 characters); unset, one is generated and printed once")
        case .host: .init("switchboard.host", "SWITCHBOARD_HOST", "host", "127.0.0.1", .string, "Address to listen on")
        case .port: .init("switchboard.port", "SWITCHBOARD_PORT", "port", "8080", .integer(.port), "Port to listen on")
        case .migrate: .init("switchboard.migrate", "SWITCHBOARD_MIGRATE", "no-migrate", "true", .bool, "Apply pending migrations at start; --no-migrate or false leaves /ready at 503 until someone runs migrate")
        case .dataDirectory: .init("switchboard.dataDir", "SWITCHBOARD_DATA_DIR", "data-dir", ".switchboard", .string, "Data directory of the private PostgreSQL cluster used when DATABASE_URL is unset", shownDefault: "./.switchboard", scope: .everyCommand)
        case .migrationsDirectory: .init("switchboard.migrationsDir", "SWITCHBOARD_MIGRATIONS_DIR", "migrations-dir", nil, .string, "Directory holding NNNN_name.sql migrations", shownDefault: "./migrations", scope: .everyCommand)
        case .postgresBin: .init("switchboard.pgBin", "SWITCHBOARD_PG_BIN", nil, nil, .string, "Directory holding initdb and postgres for the private cluster", shownDefault: "newest /usr/lib/postgresql/*/bin, then PATH", scope: .everyCommand)
        case .postgresUser: .init("switchboard.pgUser", "SWITCHBOARD_PG_USER", nil, "postgres", .string, "OS user the private cluster runs as when Switchboard runs as root", scope: .everyCommand)
        case .retentionIntervalSeconds: .init("switchboard.retentionIntervalSeconds", "SWITCHBOARD_RETENTION_INTERVAL_SECONDS", nil, "3600", .integer(.positiveOrZeroToDisable), "How often serve runs the retention job (0 disables it)")
        case .cdrBatchMaxBytes: .init("switchboard.cdrBatchMaxBytes", "SWITCHBOARD_CDR_BATCH_MAX_BYTES", nil, "536870912", .integer(.positive), "Largest CDR batch body, counted while it streams")
        case .analyticsMinSubscribers: .init("switchboard.analyticsMinSubscribers", "SWITCHBOARD_ANALYTICS_MIN_SUBSCRIBERS", nil, "10", .integer(.positive), "Traffic analytics leave out every group with fewer distinct subscribers")
        case .numberQuarantineDays: .init("switchboard.numberQuarantineDays", "SWITCHBOARD_NUMBER_QUARANTINE_DAYS", nil, "90", .integer(.positive), "Days a released number stays in quarantine before it can be assigned again")
        case .trustedProxies: .init("switchboard.trustedProxies", "SWITCHBOARD_TRUSTED_PROXIES", nil, nil, .string, "Comma-separated peer addresses (or local) whose X-Forwarded-For names the client")
        case .databaseWaitSeconds: .init("switchboard.dbWaitSeconds", "SWITCHBOARD_DB_WAIT_SECONDS", nil, "5", .integer(.positive), "Longest a request waits for a pooled database connection before 503")
        case .databaseTransactionTimeoutSeconds: .init("switchboard.dbTransactionTimeoutSeconds", "SWITCHBOARD_DB_TRANSACTION_TIMEOUT_SECONDS", nil, "15", .integer(.positive), "Longest a request's transaction and each of its statements may run before 503")
        case .databaseBatchTimeoutSeconds: .init("switchboard.dbBatchTimeoutSeconds", "SWITCHBOARD_DB_BATCH_TIMEOUT_SECONDS", nil, "600", .integer(.positive), "The same limit for a streamed CDR or telemetry batch and the retention job")
        case .idleTimeoutSeconds: .init("switchboard.idleTimeoutSeconds", "SWITCHBOARD_IDLE_TIMEOUT_SECONDS", nil, "60", .integer(.positive), "A client connection with no request in progress is closed after this")
        case .headerTimeoutSeconds: .init("switchboard.headerTimeoutSeconds", "SWITCHBOARD_HEADER_TIMEOUT_SECONDS", nil, "10", .integer(.positive), "A request's whole header must arrive within this of its first byte (408)")
        case .bodyTimeoutSeconds: .init("switchboard.bodyTimeoutSeconds", "SWITCHBOARD_BODY_TIMEOUT_SECONDS", nil, "30", .integer(.positive), "When the server asks for more of a request body, some must arrive within this (408)")
        case .maxConnections: .init("switchboard.maxConnections", "SWITCHBOARD_MAX_CONNECTIONS", nil, "512", .integer(.positive), "Open client connections; further ones wait in the listen backlog")
        case .insecureCookies: .init("switchboard.insecureCookies", "SWITCHBOARD_INSECURE_COOKIES", nil, "false", .bool, "true sends the portal's cookies without Secure, for local trials over plain HTTP only")
        case .dnsNameservers: .init("switchboard.dnsNameservers", "SWITCHBOARD_DNS_NAMESERVERS", nil, nil, .string, "Comma-separated nameservers (IP or IP:port) for hostname verification's TXT lookups", shownDefault: "the nameserver lines of /etc/resolv.conf")
        case .webhookLocalTrial: .init("switchboard.webhookLocalTrial", "SWITCHBOARD_WEBHOOK_LOCAL_TRIAL", nil, "false", .bool, "true lets webhooks use plain http and loopback addresses, for local trials only (private and link-local addresses stay refused)")
        case .webhookIntervalSeconds: .init("switchboard.webhookIntervalSeconds", "SWITCHBOARD_WEBHOOK_INTERVAL_SECONDS", nil, "5", .integer(.positiveOrZeroToDisable), "How often serve sends due webhook deliveries and announces cases coming due (0 disables it)")
        case .webhookFirstRetrySeconds: .init("switchboard.webhookFirstRetrySeconds", "SWITCHBOARD_WEBHOOK_FIRST_RETRY_SECONDS", nil, "10", .integer(.positive), "Wait before a failed webhook delivery's first retry; each further retry waits twice as long (at most an hour, 12 attempts)")
        case .keyEncryptionKey: .init("switchboard.kek", "SWITCHBOARD_KEK", nil, nil, .secret, "Key-encryption key (32 bytes, base64) that wraps every person's content key; wins over SWITCHBOARD_KEK_FILE", scope: .everyCommand)
        case .keyEncryptionKeyFile: .init("switchboard.kekFile", "SWITCHBOARD_KEK_FILE", nil, nil, .string, "File holding the key-encryption key (base64, mode 0600); must exist when set", shownDefault: "<data dir>/kek, made with mode 0600 on first start", scope: .everyCommand)
        case .keyStoreURL: .init("switchboard.keystoreUrl", "SWITCHBOARD_KEYSTORE_URL", nil, nil, .secret, "PostgreSQL database for the wrapped content keys, backed up apart from the main one and kept shorter than 30 days", shownDefault: "<database>_keys on the same server, made when missing", scope: .everyCommand)
        case .logLevel: .init("log.level", "LOG_LEVEL", nil, "info", .string, "trace, debug, info, notice, warning, error or critical; logs go to stderr", scope: .everyCommand)
        }
    }

    /// One row of the table.
    package struct Declaration: Sendable, Hashable {
        /// The swift-configuration key; `EnvironmentVariablesProvider` turns it into ``environmentName``.
        package let key: String
        package let environmentName: String
        /// The long flag without its dashes, for the settings that have one.
        package let flag: String?
        /// The value when neither a flag nor the environment gives one; nil leaves the setting unset.
        package let defaultValue: String?
        package let kind: Kind
        package let help: String
        /// The default as help and README.md state it (differs from ``defaultValue`` where the
        /// default is a search rather than a value).
        package let shownDefault: String
        package let scope: Scope

        init(
            _ key: String, _ environmentName: String, _ flag: String?, _ defaultValue: String?, _ kind: Kind, _ help: String,
            shownDefault: String? = nil, scope: Scope = .serve
        ) {
            self.key = key
            self.environmentName = environmentName
            self.flag = flag
            self.defaultValue = defaultValue
            self.kind = kind
            self.help = help
            self.shownDefault = shownDefault ?? defaultValue ?? "unset"
            self.scope = scope
        }

        /// The flag as typed, `--port`.
        package var flagSpelling: String? { flag.map { "--\($0)" } }
    }

    package enum Kind: Sendable, Hashable {
        case string
        case bool
        case integer(IntegerRule)
        /// A string that is never logged or printed.
        case secret

        package var name: String {
            switch self {
            case .string: "string"
            case .bool: "bool"
            case .integer: "integer"
            case .secret: "secret"
            }
        }
    }

    package enum IntegerRule: Sendable, Hashable {
        /// 0…65535.
        case port
        /// A whole number above 0.
        case positive
        /// A whole number, 0 meaning "off".
        case positiveOrZeroToDisable
    }

    /// Which commands read the setting. The others keep its default and do not validate it, so a
    /// `migrate` is not refused over a mistyped server setting it never uses.
    package enum Scope: Sendable, Hashable {
        case everyCommand
        case serve
    }

    package var isSecret: Bool { declaration.kind == .secret }

    /// The setting's line in a command's help: `--data-dir`'s own help and the settings list of `serve --help`.
    package var helpLine: String {
        let row = declaration
        return "\(row.help) (env \(row.environmentName); default \(row.shownDefault))"
    }

    /// The settings a command reads, one paragraph each, for its `--help` (wrapped here, so that
    /// continuation lines keep their indentation).
    package static func helpListing(scope: Scope) -> String {
        let rows = allCases.filter { scope == .serve || $0.declaration.scope == .everyCommand }.map { setting in
            let row = setting.declaration
            let flag = row.flagSpelling.map { ", \($0)" } ?? ""
            let secret = row.kind == .secret ? "; never logged" : ""
            let heading = "  \(row.environmentName)\(flag) (\(row.kind.name), default \(row.shownDefault)\(secret))"
            return ([heading] + wrapped(row.help + ".", indent: "      ")).joined(separator: "\n")
        }
        return "SETTINGS (a flag wins over its environment variable, which wins over the default):\n" + rows.joined(separator: "\n")
    }

    private static func wrapped(_ text: String, indent: String, width: Int = 78) -> [String] {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count > indent.count, line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        lines.append(line)
        return lines
    }
}
