import Foundation
import SwitchboardAPI
import XCTest

/// The one declaration of the server's settings (``SwitchboardSetting``), how it is read
/// (``SwitchboardConfiguration``), and what README.md and `serve --help` say about it.
final class ConfigurationTests: XCTestCase {
    // MARK: README.md's table against the declaration

    func testReadmeConfigurationTableMatchesTheDeclaration() throws {
        let readme = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = try Self.configurationTable(in: readme)
        XCTAssertEqual(Self.mismatches(readme: rows), [])
    }

    /// The check itself fails on each kind of drift (so the test above can fail).
    func testReadmeCheckCatchesAMissingRowAWrongDefaultAndAnUnknownVariable() throws {
        let readme = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var rows = try Self.configurationTable(in: readme)
        rows.removeValue(forKey: "SWITCHBOARD_MAX_CONNECTIONS")
        rows["SWITCHBOARD_PORT"] = "8081"
        rows["SWITCHBOARD_NOT_A_SETTING"] = "unset"
        XCTAssertEqual(Set(Self.mismatches(readme: rows)), [
            "SWITCHBOARD_MAX_CONNECTIONS is declared but not in README.md's configuration table",
            "SWITCHBOARD_PORT: README.md says default '8081', the declaration '8080'",
            "SWITCHBOARD_NOT_A_SETTING is in README.md's configuration table but not declared",
        ])
    }

    /// Variable → default cell (backticks removed) of the table under `## Configuration`.
    static func configurationTable(in readme: String) throws -> [String: String] {
        guard let section = readme.components(separatedBy: "\n## Configuration\n").dropFirst().first else {
            throw TestFailure("README.md has no '## Configuration' section")
        }
        let body = section.components(separatedBy: "\n## ").first ?? section
        var rows: [String: String] = [:]
        for line in body.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { throw TestFailure("unreadable configuration row: \(line)") }
            let names = cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            guard names.count == 1, let name = names.first else { throw TestFailure("one variable per row, please: \(line)") }
            rows[name] = cells[2].replacingOccurrences(of: "`", with: "")
        }
        if rows.isEmpty { throw TestFailure("README.md's configuration table has no rows") }
        return rows
    }

    static func mismatches(readme rows: [String: String]) -> [String] {
        var problems: [String] = []
        let declared = Dictionary(uniqueKeysWithValues: SwitchboardSetting.allCases.map { ($0.declaration.environmentName, $0.declaration) })
        for (name, row) in declared.sorted(by: { $0.key < $1.key }) {
            guard let documented = rows[name] else {
                problems.append("\(name) is declared but not in README.md's configuration table")
                continue
            }
            if documented != row.shownDefault {
                problems.append("\(name): README.md says default '\(documented)', the declaration '\(row.shownDefault)'")
            }
        }
        for name in rows.keys.sorted() where declared[name] == nil {
            problems.append("\(name) is in README.md's configuration table but not declared")
        }
        return problems
    }

    // MARK: Precedence

    func testDefaultsApplyWithAnEmptyEnvironment() throws {
        let configuration = try SwitchboardConfiguration(environment: [:])
        XCTAssertEqual(configuration.host, "127.0.0.1")
        XCTAssertEqual(configuration.port, 8080)
        XCTAssertTrue(configuration.migrate)
        XCTAssertEqual(configuration.retentionInterval, .seconds(3600))
        XCTAssertEqual(configuration.traffic.maxBatchBytes, 512 << 20)
        XCTAssertEqual(configuration.databaseDeadlines, .init(connectionWait: .seconds(5), transaction: .seconds(15), longTransaction: .seconds(600)))
        XCTAssertEqual(configuration.connectionLimits, .init(idleTimeout: .seconds(60), headerReadTimeout: .seconds(10), bodyReadTimeout: .seconds(30), maxConnections: 512))
        XCTAssertEqual(configuration.database.dataDirectory.path, URL(fileURLWithPath: ".switchboard").path)
        XCTAssertEqual(configuration.database.clusterUser, "postgres")
        XCTAssertNil(configuration.database.url)
        XCTAssertNil(configuration.bootstrapToken)
        XCTAssertEqual(configuration.logLevel, .info)
    }

    func testEnvironmentBeatsDefault() throws {
        let configuration = try SwitchboardConfiguration(environment: [
            "SWITCHBOARD_PORT": "9090", "SWITCHBOARD_HOST": "0.0.0.0", "SWITCHBOARD_MIGRATE": "FALSE",
            "SWITCHBOARD_RETENTION_INTERVAL_SECONDS": "0", "SWITCHBOARD_DB_WAIT_SECONDS": "7",
            "SWITCHBOARD_PG_USER": "pgrunner", "SWITCHBOARD_DATA_DIR": "/srv/sb", "SWITCHBOARD_MIGRATIONS_DIR": "/srv/migrations",
            "SWITCHBOARD_TRUSTED_PROXIES": "10.0.0.1, local", "LOG_LEVEL": "debug",
        ])
        XCTAssertEqual(configuration.port, 9090)
        XCTAssertEqual(configuration.host, "0.0.0.0")
        XCTAssertFalse(configuration.migrate)
        XCTAssertNil(configuration.retentionInterval)
        XCTAssertEqual(configuration.databaseDeadlines.connectionWait, .seconds(7))
        XCTAssertEqual(configuration.database.clusterUser, "pgrunner")
        XCTAssertEqual(configuration.database.dataDirectory.path, "/srv/sb")
        XCTAssertEqual(configuration.database.migrationsDirectory.path, "/srv/migrations")
        XCTAssertEqual(configuration.trustedProxies, ["10.0.0.1", "local"])
        XCTAssertEqual(configuration.logLevel, .debug)
    }

    /// Every declared key reaches its declared environment variable (the provider derives the
    /// variable from the key, so a typo on either side shows here).
    func testEveryDeclaredEnvironmentVariableIsRead() throws {
        var environment: [String: String] = [:]
        for setting in SwitchboardSetting.allCases {
            let row = setting.declaration
            let value: String = switch row.kind {
            case .integer(.port): "4321"
            case .integer: "77"
            case .bool: "false"
            case .string, .secret: "value-of-\(row.environmentName)"
            }
            environment[row.environmentName] = value
        }
        let description = try SwitchboardConfiguration(environment: environment).description
        for setting in SwitchboardSetting.allCases {
            let row = setting.declaration
            let expected = setting.isSecret ? "\(row.environmentName)=<redacted>" : "\(row.environmentName)=\(environment[row.environmentName]!)"
            XCTAssertTrue(description.contains(expected), "\(row.key) did not read \(row.environmentName): \(description)")
        }
    }

    func testFlagBeatsEnvironment() throws {
        let configuration = try SwitchboardConfiguration(
            flags: [.port: "7070", .host: "::1", .migrate: "false", .dataDirectory: "/flag/data", .migrationsDirectory: "/flag/migrations"],
            environment: [
                "SWITCHBOARD_PORT": "9090", "SWITCHBOARD_HOST": "0.0.0.0", "SWITCHBOARD_MIGRATE": "true",
                "SWITCHBOARD_DATA_DIR": "/env/data", "SWITCHBOARD_MIGRATIONS_DIR": "/env/migrations",
            ]
        )
        XCTAssertEqual(configuration.port, 7070)
        XCTAssertEqual(configuration.host, "::1")
        XCTAssertFalse(configuration.migrate)
        XCTAssertEqual(configuration.database.dataDirectory.path, "/flag/data")
        XCTAssertEqual(configuration.database.migrationsDirectory.path, "/flag/migrations")
    }

    // MARK: Validation

    func testAnInvalidValueFailsNamingTheVariableAndTheRule() {
        let cases: [([SwitchboardSetting: String], [String: String], String)] = [
            ([:], ["SWITCHBOARD_PORT": "x"], "SWITCHBOARD_PORT must be a port number"),
            ([:], ["SWITCHBOARD_PORT": "65536"], "SWITCHBOARD_PORT must be a port number"),
            ([.port: "70000"], ["SWITCHBOARD_PORT": "80"], "--port must be a port number"),
            ([:], ["SWITCHBOARD_DB_WAIT_SECONDS": "x"], "SWITCHBOARD_DB_WAIT_SECONDS must be a whole number above 0, not 'x'"),
            ([:], ["SWITCHBOARD_MAX_CONNECTIONS": "0"], "SWITCHBOARD_MAX_CONNECTIONS must be a whole number above 0, not '0'"),
            ([:], ["SWITCHBOARD_RETENTION_INTERVAL_SECONDS": "-1"], "SWITCHBOARD_RETENTION_INTERVAL_SECONDS must be a whole number (0 to disable), not '-1'"),
        ]
        for (flags, environment, message) in cases {
            XCTAssertThrowsError(try SwitchboardConfiguration(flags: flags, environment: environment), "\(environment)") { error in
                XCTAssertEqual((error as? SwitchboardConfigurationError)?.description, message)
            }
        }
    }

    /// `migrate`, `audit` and `retention` read only the settings every command uses, as before.
    func testCommandsOtherThanServeIgnoreServerSettings() throws {
        let environment = ["SWITCHBOARD_PORT": "x", "SWITCHBOARD_PG_USER": "pgrunner"]
        XCTAssertThrowsError(try SwitchboardConfiguration(environment: environment, scope: .serve))
        let configuration = try SwitchboardConfiguration(environment: environment, scope: .everyCommand)
        XCTAssertEqual(configuration.database.clusterUser, "pgrunner")
        XCTAssertFalse(configuration.description.contains("SWITCHBOARD_PORT"))
    }

    // MARK: Secrets

    func testSecretValuesNeverAppearInTheDescription() throws {
        let secrets = [
            "DATABASE_URL": "postgres://admin:url-pass-3141@db.example:5432/switchboard",
            "SWITCHBOARD_APP_PASSWORD": "app-pass-2718",
            "SWITCHBOARD_BOOTSTRAP_TOKEN": "sbp_bootstrap_token_value_0123456789abcdef",
            "SWITCHBOARD_KEK": "c2VjcmV0LWtleS1lbmNyeXB0aW9uLWtleS0zMmJ5dGVzIQ==",
            "SWITCHBOARD_KEYSTORE_URL": "postgres://keys:keys-pass-1618@keys.example:5432/switchboard_keys",
        ]
        XCTAssertEqual(Set(SwitchboardSetting.allCases.filter(\.isSecret).map(\.declaration.environmentName)), Set(secrets.keys))
        let configuration = try SwitchboardConfiguration(environment: secrets.merging(["SWITCHBOARD_HOST": "host-in-clear"]) { $1 })
        for text in [configuration.description, "\(configuration)", String(reflecting: configuration)] {
            XCTAssertTrue(text.contains("SWITCHBOARD_HOST=host-in-clear"), text)  // the line does show ordinary values
            for (name, value) in secrets {
                XCTAssertTrue(text.contains("\(name)=<redacted>"), text)
                XCTAssertFalse(text.contains(value), "\(name)'s value leaked: \(text)")
                XCTAssertFalse(text.contains("url-pass-3141"), text)
            }
        }
        // The values themselves are still there for the code that needs them.
        XCTAssertEqual(configuration.database.applicationPassword, "app-pass-2718")
    }

    /// The start-up log line of the real executable (`migrate` logs it before it connects).
    func testTheStartUpLogLineRedactsSecrets() throws {
        let output = try Self.runExecutable(["migrate", "--data-dir", NSTemporaryDirectory() + "sb-config-unused"], environment: [
            "LOG_LEVEL": "info",
            "DATABASE_URL": "postgres://admin:url-pass-3141@127.0.0.1:1/switchboard?sslmode=disable",
            "SWITCHBOARD_APP_PASSWORD": "app-pass-2718",
        ])
        XCTAssertTrue(output.contains("DATABASE_URL=<redacted>"), output)
        XCTAssertTrue(output.contains("SWITCHBOARD_APP_PASSWORD=<redacted>"), output)
        XCTAssertFalse(output.contains("url-pass-3141"), output)
        XCTAssertFalse(output.contains("app-pass-2718"), output)
    }

    // MARK: serve --help

    func testServeHelpListsEverySettingFromTheDeclaration() throws {
        let help = try Self.runExecutable(["serve", "--help"], environment: [:])
        for setting in SwitchboardSetting.allCases {
            let row = setting.declaration
            XCTAssertTrue(help.contains(row.environmentName), "serve --help does not mention \(row.environmentName):\n\(help)")
            if let flag = row.flagSpelling {
                XCTAssertTrue(help.contains(flag), "serve --help does not mention \(flag):\n\(help)")
            }
        }
        XCTAssertTrue(help.contains("default 536870912"), help)
    }

    func testAnInvalidEnvironmentValueStopsServeWithItsName() throws {
        // Were the port accepted, the short token would still stop serve before any cluster starts.
        let output = try Self.runExecutable(["serve"], environment: [
            "SWITCHBOARD_PORT": "eighty", "SWITCHBOARD_BOOTSTRAP_TOKEN": "short",
            "SWITCHBOARD_DATA_DIR": NSTemporaryDirectory() + "sb-config-unused",
        ])
        XCTAssertTrue(output.contains("SWITCHBOARD_PORT must be a port number"), output)
    }

    /// Runs the built `switchboard` with `arguments`, the test's environment plus `extra`, and returns
    /// what it wrote to stdout and stderr.
    static func runExecutable(_ arguments: [String], environment extra: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = try ServerProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestCluster.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment["COLUMNS"] = "200"
        for (name, value) in extra { environment[name] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
