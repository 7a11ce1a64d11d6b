import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import PostgresNIO
import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore

/// Builds its own data set in a private PostgreSQL cluster, runs the real server in-process and
/// prints every figure as a ratio against a limit measured in the same run on this machine.
///
///     swift run -c release switchboard-bench
///
/// Environment: BENCH_RESELLERS (1000), BENCH_EMPLOYEES_PER_RESELLER (1000), BENCH_SECONDS (10),
/// BENCH_CONNECTIONS (16), BENCH_ANONYMISE_SAMPLES (100), BENCH_CONTENT_ITEMS (1000), BENCH_CDR_ROWS (500000),
/// BENCH_EXPIRY_ROWS (10000000), BENCH_IMPORT_ROWS (10000); BENCH_ONLY picks rows (customers, employees, rls, anonymise, ingest, fraud,
/// expiry, import, portal, purge, content); BENCH_PURGE_PEOPLE (1000).
@main
struct SwitchboardBench {
    static func main() async throws {
        runTasksOnEventLoops()
        try await Benchmark.run()
    }
}

enum Benchmark {
    /// Round trips per request: each transaction is begin, its statements, commit.
    static func roundTrips(transactions: Double, statements: Int) -> Double {
        transactions * Double(statements + 2)
    }

    nonisolated static func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap(Int.init) ?? fallback }
        let plan = Dataset.Plan(
            resellers: setting("BENCH_RESELLERS", 1000), employeesPerReseller: setting("BENCH_EMPLOYEES_PER_RESELLER", 1000),
            anonymiseSamples: setting("BENCH_ANONYMISE_SAMPLES", 100), contentItems: setting("BENCH_CONTENT_ITEMS", 1000)
        )
        let seconds = setting("BENCH_SECONDS", 10)
        // A subset of rows while working on one of them, e.g. BENCH_ONLY=customers,employees.
        let only = environment["BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
        func selected(_ row: String) -> Bool { only?.contains(row) ?? true }
        let connections = setting("BENCH_CONNECTIONS", 16)

        var logger = Logger(label: "switchboard-bench")
        logger.logLevel = .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        // Only the HTTP load rows use wrk.
        if selected("customers") || selected("employees") || selected("portal") || selected("content"), Wrk.available() == nil { throw BenchError("wrk is not installed: apt-get install wrk") }

        // SWITCHBOARD_PG_BIN, SWITCHBOARD_PG_USER and SWITCHBOARD_MIGRATIONS_DIR mean what they mean to the server.
        let settings = try SwitchboardConfiguration(environment: environment, scope: .everyCommand).database
        let binaries = try PostgresBinaries.locate(explicitDirectory: settings.postgresBinDirectory, searchPath: settings.executableSearchPath)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(getpid())")
        let cluster = try await LocalPostgresCluster.start(
            .init(dataDirectory: directory, durability: .throwaway, unprivilegedUser: settings.clusterUser), binaries: binaries, logger: logger
        )
        defer {
            cluster.stopBlocking()
            try? FileManager.default.removeItem(at: directory)
        }
        let socketDirectory = URL(fileURLWithPath: cluster.socketPath).deletingLastPathComponent().path
        let databaseName = "switchboard_bench"
        try await cluster.target(database: "postgres").withAdminConnection(logger: logger) { connection in
            try await DatabasePlacement.createDatabaseIfMissing(databaseName, on: connection, logger: logger)
        }
        let placement = DatabasePlacement(target: cluster.target(database: databaseName), privateCluster: nil)
        let migrations = try MigrationSet.load(from: settings.migrationsDirectory)
        try await placement.migrate(migrations, applicationPassword: nil, logger: logger)

        let started = ContinuousClock.now
        print("seeding \(plan.resellers) resellers × \(plan.employeesPerReseller) employees, \(plan.anonymiseSamples) employees × \(plan.contentItems) content items …")
        let dataset = try await placement.target.withAdminConnection(logger: logger) { connection in
            try await Dataset.seed(plan, on: connection, logger: logger)
        }
        print("seeded in \(ContinuousClock.now - started)")

        let client = PostgresClient(configuration: try placement.applicationClientConfiguration(password: nil, maxConnections: 20),
                                  eventLoopGroup: ConnectionSpreadingEventLoopGroup(), backgroundLogger: logger)
        let keys = try await KeyStoreDatabase.open(placement: placement, url: nil, applicationPassword: nil, kek: KeyEncryptionKey.generate(),
                                                   maxConnections: 8, logger: logger)
        let portBox = PortBox()
        let app = try buildApplication(
            try AppDependencies(database: client, migrations: migrations, passwords: PasswordHasher(cost: 4), keyStore: keys.store),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger,
            jobs: [keys.client],
            onServerRunning: { await portBox.set($0) }
        )
        var rows: [Row] = []
        var floor: LoadResult?, authenticatedFloor: LoadResult?, meTransactions = 0.0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            let port = await portBox.wait()
            let base = "http://127.0.0.1:\(port)"
            /// Transactions PostgreSQL committed in this database so far (its statistics, flushed
            /// within a second of a backend going idle).
            func committedTransactions() async throws -> Int {
                try await Task.sleep(for: .milliseconds(1500))
                return try await placement.target.withAdminConnection(logger: logger) { connection in
                    try await connection.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", logger: logger)
                        .collect().first!.decode(Int.self)
                }
            }
            /// A wrk run and the database transactions each of its requests cost, measured.
            func measuredHTTP(_ url: String) async throws -> (LoadResult, transactionsPerRequest: Double) {
                let before = try await committedTransactions()
                let load = try await Wrk.measure(url: url, token: dataset.resellerKey, connections: connections, seconds: seconds)
                let after = try await committedTransactions()
                // Less the one transaction of the first reading itself.
                return (load, Double(after - before - 1) / Double(max(1, load.completed ?? 1)))
            }
            func pgbench(_ script: String, user: String = DatabaseTarget.applicationRole, protocolMode: String = "extended") async throws -> LoadResult {
                try await Pgbench.measure(binaries: binaries.directory, socketDirectory: socketDirectory, user: user, database: databaseName,
                                    script: script, clients: connections, seconds: seconds, protocolMode: protocolMode)
            }

            // 0. For context, what bounds the lists: the HTTP stack alone (a route that touches no
            // database), and authentication alone (GET /v1/me: the request transaction without a query).
            if selected("customers") || selected("employees") {
                floor = try await Wrk.measure(url: "\(base)/health", token: dataset.resellerKey, connections: connections, seconds: seconds)
                let me = try await measuredHTTP("\(base)/v1/me")
                authenticatedFloor = me.0
                meTransactions = me.transactionsPerRequest
            }

            // 1. Tenant-scoped customer list: HTTP (auth + RLS + JSON) ÷ the same scoped SQL through pgbench.
            if selected("customers") {
                let (customersHTTP, transactions) = try await measuredHTTP("\(base)/v1/customers?limit=50")
                let customersSQL = try await pgbench(dataset.customerListScript)
                rows.append(Row(name: "customer list (50/page) over HTTP ÷ same SQL via pgbench", http: customersHTTP, limit: customersSQL, goal: "≥ 0.60",
                                ok: customersHTTP.perSecond / customersSQL.perSecond >= 0.6,
                                roundTrips: Self.roundTrips(transactions: transactions, statements: 2)))
            }

            // 2. Employee list page of 50 (the directory's everyday read).
            if selected("employees") {
                let (employeesHTTP, transactions) = try await measuredHTTP("\(base)/v1/customers/\(dataset.measuredCustomer)/employees?limit=50")
                let employeesSQL = try await pgbench(dataset.employeeListScript)
                rows.append(Row(name: "employee list (50/page) over HTTP ÷ same SQL via pgbench", http: employeesHTTP, limit: employeesSQL, goal: "≥ 0.60",
                                ok: employeesHTTP.perSecond / employeesSQL.perSecond >= 0.6,
                                roundTrips: Self.roundTrips(transactions: transactions, statements: 2)))
            }

            // 3. Row-level security's own cost on 1M employees over 1,000 resellers: the same page as the
            // reseller role ÷ as a role with the same privileges and BYPASSRLS (so privilege checks are
            // paid on both sides and only the policies differ). Prepared on both sides, as the server
            // runs its hot statements: what the policies cost when the query executes. Unprepared, RLS
            // also costs planning time; the superuser (no privilege checks either) is printed for context.
            // Five pairs of runs, each pair both sides back to back with the order swapped every pair,
            // and the ratio is the median of the pairs' ratios: on this 2-core machine the rate of a
            // 10 s run drifts by tens of per cent over minutes, and a pair sees the same stretch on both sides
            // (best-of-three per side still swung from 0.95 to 1.13 between runs of the program).
            if selected("rls") {
                let rlsOnScript = dataset.randomPageScript(role: Role.reseller.databaseRole)
                let rlsOffScript = dataset.randomPageScript(role: Dataset.rlsBypassRole)
                var pairs: [(on: LoadResult, off: LoadResult)] = []
                for pair in 0..<5 {
                    if pair.isMultiple(of: 2) {
                        let on = try await pgbench(rlsOnScript, protocolMode: "prepared")
                        pairs.append((on, try await pgbench(rlsOffScript, protocolMode: "prepared")))
                    } else {
                        let off = try await pgbench(rlsOffScript, protocolMode: "prepared")
                        pairs.append((try await pgbench(rlsOnScript, protocolMode: "prepared"), off))
                    }
                }
                // For the record, the page's own server time, which no client or machine noise blurs:
                // the best of three alternated loops a side.
                func serverMicroseconds(_ role: String) async throws -> Double {
                    let output = try await runCommand(binaries.directory.appendingPathComponent("psql").path, [
                        "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-U", DatabaseTarget.applicationRole, "-d", databaseName,
                        "-c", dataset.serverLoopScript(role: role),
                    ])
                    guard let match = output.firstMatch(of: /page_us=([0-9]+)/), let value = Double(match.1) else {
                        throw BenchError("the page loop printed no time:\n\(output)")
                    }
                    return value
                }
                var serverOn: [Double] = [], serverOff: [Double] = []
                for _ in 0..<3 {
                    serverOn.append(try await serverMicroseconds(Role.reseller.databaseRole))
                    serverOff.append(try await serverMicroseconds(Dataset.rlsBypassRole))
                }
                let ratios = pairs.map { $0.off.perSecond / $0.on.perSecond }
                let rlsRatio = percentile(ratios, 0.5)
                let superuser = try await pgbench(dataset.randomPageScript(role: nil), user: LocalPostgresCluster.superuser, protocolMode: "prepared")
                let rlsOnPlanned = try await pgbench(rlsOnScript)
                let rlsOffPlanned = try await pgbench(rlsOffScript)
                rows.append(Row(name: "employee page, RLS on ÷ RLS off (latency, prepared), 1M employees",
                                text: String(format: "median %.0f tps on, %.0f tps off; pair ratios ", percentile(pairs.map(\.on.perSecond), 0.5),
                                             percentile(pairs.map(\.off.perSecond), 0.5))
                                    + ratios.map { String(format: "%.2f", $0) }.joined(separator: " ")
                                    + String(format: "; superuser %.0f tps (unprepared: %.0f on, %.0f off, ratio %.2f); server time per page alone %.0f µs on, %.0f µs off",
                                             superuser.perSecond, rlsOnPlanned.perSecond, rlsOffPlanned.perSecond, rlsOffPlanned.perSecond / rlsOnPlanned.perSecond,
                                             serverOn.min()!, serverOff.min()!),
                                ratio: rlsRatio, goal: "≤ 1.05", ok: rlsRatio <= 1.05))
            }

            // 4. Anonymise an employee holding 1,000 content items, through the API.
            if selected("anonymise") {
                var samples: [Double] = []
                for employee in dataset.anonymiseTargets {
                    var request = URLRequest(url: URL(string: "\(base)/v1/employees/\(employee)/anonymise")!)
                    request.httpMethod = "POST"
                    request.setValue("Bearer \(dataset.resellerKey)", forHTTPHeaderField: "Authorization")
                    let begin = ContinuousClock.now
                    let (_, response) = try await URLSession.shared.data(for: request)
                    let elapsed = ContinuousClock.now - begin
                    guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw BenchError("anonymise answered \(String(describing: response))") }
                    samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                }
                let p99 = percentile(samples, 0.99)
                rows.append(Row(name: "anonymise, \(plan.contentItems) content items each (\(samples.count) samples)",
                                text: String(format: "p50 %.1f ms, p99 %.1f ms", percentile(samples, 0.5), p99),
                                ratio: p99 / 50, goal: "p99 < 50 ms (ratio = p99 ÷ 50 ms)", ok: p99 < 50))
            }

            // 5–6. Platform traffic: CDR ingest against raw COPY, and expiring a month of CDRs.
            let traffic = TrafficBenchmark.Environment(base: base, binaries: binaries.directory, socketDirectory: socketDirectory, database: databaseName,
                                                       target: placement.target, client: client, vault: ContentVault(keys: keys.store), logger: logger)
            if selected("ingest") { rows.append(try await TrafficBenchmark.ingest(rows: setting("BENCH_CDR_ROWS", 500_000), in: traffic)) }
            if selected("fraud") { rows.append(try await TrafficBenchmark.fraudRules(rows: setting("BENCH_CDR_ROWS", 500_000), in: traffic)) }
            if selected("expiry") { rows.append(try await TrafficBenchmark.expiry(rows: setting("BENCH_EXPIRY_ROWS", 10_000_000), in: traffic)) }
            // 7. Joiners in bulk: a 10,000-row staff CSV through the API against raw COPY.
            if selected("import") {
                rows.append(try await StaffImportBenchmark.run(rows: setting("BENCH_IMPORT_ROWS", 10_000), resellerKey: dataset.resellerKey,
                                                               reseller: dataset.measuredReseller, in: traffic))
            }
            // 8. The managers' portal: a page of staff as HTML under light load.
            if selected("portal") {
                rows.append(try await PortalBenchmark.run(reseller: dataset.measuredReseller, customer: dataset.measuredCustomer, seconds: seconds, in: traffic))
            }
            // 9–10. Retention: the purge of a terminated 1,000-employee customer, and sealed content reads.
            if selected("purge") {
                rows.append(try await RetentionBenchmark.purge(reseller: dataset.measuredReseller, people: setting("BENCH_PURGE_PEOPLE", 1000), in: traffic))
            }
            if selected("content") {
                rows.append(try await RetentionBenchmark.contentReads(reseller: dataset.measuredReseller, customer: dataset.measuredCustomer,
                                                                      resellerKey: dataset.resellerKey, seconds: seconds, in: traffic))
            }
            group.cancelAll()
        }

        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?.split(separator: "\n").first ?? "?"
        let version = try await runCommand(binaries.postgres.path, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
        print("""

            Switchboard benchmarks — \(Date()) — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory.replacingOccurrences(of: "  ", with: "")), \(version)
            load: wrk and pgbench with \(connections) connections for \(seconds) s each; private cluster with fsync off (the same for both sides of every ratio)

            | measurement | measured | limit in the same run | ratio | goal | |
            |---|---|---|---|---|---|
            """)
        for row in rows { print(row.markdown) }
        if let floor, let authenticatedFloor {
            print(String(format: """

                for context, under the same load: GET /health (no database) answers %.0f req/s (p99 %.1f ms); \
                GET /v1/me (reads nothing; its credential comes from the credential cache) %.0f req/s (p99 %.1f ms), %.3f database transactions per request; \
                ratio /v1/me ÷ /health %.2f
                """, floor.perSecond, floor.p99 ?? .nan, authenticatedFloor.perSecond, authenticatedFloor.p99 ?? .nan, meTransactions,
                authenticatedFloor.perSecond / floor.perSecond))
            print("round trips per list request: the server's are measured (database transactions per request × (begin + scope + page + commit)); pgbench runs the same four statements, one round trip each")
        }
    }
}

struct Row {
    var name: String
    var measured: String
    var limit: String
    var ratio: Double
    var goal: String
    var ok: Bool

    init(name: String, http: LoadResult, limit: LoadResult, goal: String, ok: Bool, roundTrips: Double) {
        self.name = name
        self.measured = String(format: "%.0f req/s, p50 %.1f ms, p99 %.1f ms, %.2f round trips per request", http.perSecond, http.p50 ?? .nan, http.p99 ?? .nan, roundTrips)
        self.limit = String(format: "%.0f tps, 4 round trips per transaction", limit.perSecond)
        self.ratio = http.perSecond / limit.perSecond
        self.goal = goal
        self.ok = ok
    }

    init(name: String, text: String, ratio: Double, goal: String, ok: Bool) {
        self.name = name
        self.measured = text
        self.limit = "—"
        self.ratio = ratio
        self.goal = goal
        self.ok = ok
    }

    var markdown: String {
        "| \(name) | \(measured) | \(limit) | \(String(format: "%.2f", ratio)) | \(goal) | \(ok ? "met" : "NOT met") |"
    }
}

actor PortBox {
    private var port: Int?
    private var waiters: [CheckedContinuation<Int, Never>] = []

    func set(_ port: Int) {
        self.port = port
        for waiter in waiters { waiter.resume(returning: port) }
        waiters = []
    }

    func wait() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}
