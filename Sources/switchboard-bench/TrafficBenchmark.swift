import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The platform-scope figures: CDR ingest through the API against a raw COPY of the same rows,
/// and the time to expire a month of CDRs.
enum TrafficBenchmark {
    struct Environment {
        let base: String
        let binaries: URL
        let socketDirectory: String
        let database: String
        let target: DatabaseTarget
        let client: PostgresClient
        let vault: ContentVault
        let logger: Logger
    }

    static let copyColumns = "started_at, batch_id, line, kind, direction, a_number, b_number, served_number, duration_seconds, bytes, ip, cell, country, charge, reseller_id, customer_id, number_assignment_id"

    /// One batch of `rows` CDRs over the data set's assigned numbers, in both forms: NDJSON as the
    /// network sends it, and COPY text (already resolved) as the server writes it. Calls go to the
    /// home country; a tenth of them are short (< 60 s), as ordinary traffic has.
    struct Batch {
        let directory: URL
        let ndjson: URL
        let copy: URL
        let rows: Int

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func makeBatch(rows: Int, in environment: Environment) async throws -> Batch {
        let holders = try await environment.target.withAdminConnection(logger: environment.logger) { connection in
            let result = try await connection.query(
                "SELECT number, reseller_id::text, customer_id::text, id::text FROM sb.number_assignments WHERE released_at IS NULL ORDER BY number LIMIT 10000",
                logger: environment.logger
            )
            var holders: [(number: String, reseller: String, customer: String, assignment: String)] = []
            for try await row in result.decode((String, String, String, String).self) { holders.append(row) }
            return holders
        }
        guard !holders.isEmpty else { throw BenchError("the data set has no assigned numbers") }

        // Both files hold the same records: NDJSON as the network sends them, COPY text as the server writes them.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-cdrs-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ndjsonFile = directory.appendingPathComponent("batch.ndjson")
        let copyFile = directory.appendingPathComponent("batch.copy")
        let start = Date().addingTimeInterval(5)
        let formatter = ISO8601DateFormatter()
        var ndjson = Data()
        var copy = Data()
        let copyBatch = UUID().uuidString.lowercased()
        for index in 0..<rows {
            let holder = holders[index % holders.count]
            let startedAt = formatter.string(from: start.addingTimeInterval(Double(index % 3600)))
            let bNumber = "+4570\(String(format: "%06d", index % 1_000_000))"
            let ip = "10.\(index % 250).\(index / 250 % 250).\(index % 7 + 1)"
            let cell = "cell-\(index % 5000)"
            let charge = "0.\(String(format: "%04d", index % 10_000))"
            switch index % 3 {
            case 0:
                ndjson.append(contentsOf: #"{"kind":"call","aNumber":"\#(holder.number)","bNumber":"\#(bNumber)","startedAt":"\#(startedAt)","durationSeconds":\#(index % 600),"ip":"\#(ip)","cell":"\#(cell)","country":"DK","charge":\#(charge)}"#.utf8)
                copy.append(contentsOf: "\(startedAt)\t\(copyBatch)\t\(index + 1)\tcall\toutgoing\t\(holder.number)\t\(bNumber)\t\(holder.number)\t\(index % 600)\t\\N\t\(ip)\t\(cell)\tDK\t\(charge)\t\(holder.reseller)\t\(holder.customer)\t\(holder.assignment)".utf8)
            case 1:
                ndjson.append(contentsOf: #"{"kind":"sms","aNumber":"\#(holder.number)","bNumber":"\#(bNumber)","startedAt":"\#(startedAt)","ip":"\#(ip)","cell":"\#(cell)","country":"DK","charge":\#(charge)}"#.utf8)
                copy.append(contentsOf: "\(startedAt)\t\(copyBatch)\t\(index + 1)\tsms\toutgoing\t\(holder.number)\t\(bNumber)\t\(holder.number)\t\\N\t\\N\t\(ip)\t\(cell)\tDK\t\(charge)\t\(holder.reseller)\t\(holder.customer)\t\(holder.assignment)".utf8)
            default:
                ndjson.append(contentsOf: #"{"kind":"data","aNumber":"\#(holder.number)","startedAt":"\#(startedAt)","bytes":\#(index * 17 % 10_000_000),"ip":"\#(ip)","cell":"\#(cell)","country":"DK","charge":\#(charge)}"#.utf8)
                copy.append(contentsOf: "\(startedAt)\t\(copyBatch)\t\(index + 1)\tdata\toutgoing\t\(holder.number)\t\\N\t\(holder.number)\t\\N\t\(index * 17 % 10_000_000)\t\(ip)\t\(cell)\tDK\t\(charge)\t\(holder.reseller)\t\(holder.customer)\t\(holder.assignment)".utf8)
            }
            ndjson.append(0x0A)
            copy.append(0x0A)
        }
        try ndjson.write(to: ndjsonFile)
        try copy.write(to: copyFile)

        return Batch(directory: directory, ndjson: ndjsonFile, copy: copyFile, rows: rows)
    }

    static func truncate(in environment: Environment) async throws {
        try await environment.target.withAdminConnection(logger: environment.logger) { connection in
            try await connection.query("TRUNCATE platform.cdrs, platform.ingest_batches, sb.usage_monthly, sb.fraud_alerts", logger: environment.logger)
            try await connection.query("CHECKPOINT", logger: environment.logger)
        }
    }

    /// Rows/s of one `POST /v1/platform/cdrs` of the batch.
    static func viaAPI(_ batch: Batch, secret: String, in environment: Environment) async throws -> Double {
        let begin = ContinuousClock.now
        let status = try await runCommand("/usr/bin/curl", [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-T", batch.ndjson.path,
            "-H", "Authorization: Bearer \(secret)", "-H", "Content-Type: application/x-ndjson", "\(environment.base)/v1/platform/cdrs",
        ])
        let seconds = (ContinuousClock.now - begin).seconds
        guard status == "201" else { throw BenchError("CDR ingest answered \(status)") }
        return Double(batch.rows) / seconds
    }

    /// Ingest rows/s through `POST /v1/platform/cdrs` ÷ rows/s of `\\copy` of the same rows, already resolved, into the same table.
    static func ingest(rows: Int, in environment: Environment) async throws -> Row {
        let secret = try await platformKey(in: environment)
        let batch = try await makeBatch(rows: rows, in: environment)
        defer { batch.remove() }
        func viaCopy() async throws -> Double {
            let begin = ContinuousClock.now
            _ = try await runCommand(environment.binaries.appendingPathComponent("psql").path, [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", environment.socketDirectory, "-U", LocalPostgresCluster.superuser, "-d", environment.database,
                "-c", "\\copy platform.cdrs (\(copyColumns)) FROM '\(batch.copy.path)'",
            ])
            return Double(rows) / (ContinuousClock.now - begin).seconds
        }
        // Alternate the two and keep each side's best of two, so neither gains from running second.
        var api: [Double] = []
        var raw: [Double] = []
        for _ in 0..<2 {
            try await truncate(in: environment)
            raw.append(try await viaCopy())
            try await truncate(in: environment)
            api.append(try await viaAPI(batch, secret: secret, in: environment))
        }
        let apiRate = api.max()!, copyRate = raw.max()!
        let ratio = apiRate / copyRate
        return Row(name: "CDR ingest, \(rows) rows: API (NDJSON, parse, resolve, COPY, usage totals, fraud rules) ÷ raw COPY of the same rows",
                   text: String(format: "%.0f rows/s via API, %.0f rows/s raw COPY", apiRate, copyRate),
                   ratio: ratio, goal: "≥ 0.70", ok: ratio >= 0.7)
    }

    /// Ingest rows/s with every fraud rule enabled ÷ with every rule disabled, same batch, same API.
    static func fraudRules(rows: Int, in environment: Environment) async throws -> Row {
        let secret = try await platformKey(in: environment)
        let batch = try await makeBatch(rows: rows, in: environment)
        defer { batch.remove() }
        func rules(enabled: Bool) async throws {
            try await environment.target.withAdminConnection(logger: environment.logger) { connection in
                try await connection.query("UPDATE platform.fraud_rules SET enabled = \(enabled)", logger: environment.logger)
            }
        }
        var on: [Double] = []
        var off: [Double] = []
        for _ in 0..<2 {
            try await rules(enabled: false)
            try await truncate(in: environment)
            off.append(try await viaAPI(batch, secret: secret, in: environment))
            try await rules(enabled: true)
            try await truncate(in: environment)
            on.append(try await viaAPI(batch, secret: secret, in: environment))
        }
        let onRate = on.max()!, offRate = off.max()!
        let ratio = onRate / offRate
        return Row(name: "CDR ingest, \(rows) rows over 10,000 numbers: fraud rules on ÷ off (every number judged by the distinct-destination rule)",
                   text: String(format: "%.0f rows/s with the rules, %.0f rows/s without", onRate, offRate),
                   ratio: ratio, goal: "≥ 0.90", ok: ratio >= 0.9)
    }

    /// A new platform API key's secret, inserted as the superuser.
    static func platformKey(in environment: Environment) async throws -> String {
        let secret = "sbp_benchmark_key_" + UUID().uuidString.lowercased()
        try await environment.target.withAdminConnection(logger: environment.logger) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "INSERT INTO sb.platform_api_keys (id, name, secret_hash, display_prefix) VALUES (gen_random_uuid(), 'bench', '\\x\(Credentials.hash(secret))', 'sbp_bench')"),
                logger: environment.logger
            )
        }
        return secret
    }

    /// Fills the oldest month's partition with `rows` CDRs and times the retention run that drops it.
    static func expiry(rows: Int, in environment: Environment) async throws -> Row {
        let logger = environment.logger
        let (partition, clock) = try await environment.target.withAdminConnection(logger: logger) { connection in
            let oldest = try await connection.query(
                """
                SELECT c.relname::text, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1],
                       ((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz + interval '12 months')
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'platform.cdrs'::regclass ORDER BY 2 LIMIT 1
                """,
                logger: logger
            )
            var found: (String, String, Date)?
            for try await row in oldest.decode((String, String, Date).self) { found = row }
            guard let (name, from, clock) = found else { throw BenchError("no CDR partition") }
            try await connection.query(
                PostgresQuery(unsafeSQL: """
                    INSERT INTO platform.\(name) (started_at, batch_id, line, kind, direction, a_number, b_number, served_number, duration_seconds, charge)
                    SELECT '\(from)'::timestamptz + (i % 2400000) * interval '1 second', '00000000-0000-4000-a000-000000000001', i, 'call', 'outgoing',
                           '+4530' || lpad((i % 1000)::text, 6, '0'), '+4570000001', '+4530' || lpad((i % 1000)::text, 6, '0'), i % 600, 0.01
                    FROM generate_series(1, \(rows)) i
                    """),
                logger: logger
            )
            try await connection.query(PostgresQuery(unsafeSQL: "ANALYZE platform.\(name)"), logger: logger)
            try await connection.query("CHECKPOINT", logger: logger)
            return (name, clock)
        }
        guard let run = try await RetentionRunner(database: ScopedDatabase(client: environment.client), vault: environment.vault,
                                                   quarantine: QuarantineRule(), maintenance: environment.target)
            .run(clock: clock, dryRun: false, trigger: .command, logger: logger), run.droppedPartitions.contains(partition)
        else { throw BenchError("the retention run did not drop \(partition)") }
        let milliseconds = run.elapsed.seconds * 1000
        return Row(name: "expire a month of CDRs (\(partition), \(rows) rows): retention run detaching it, then the drop",
                   text: String(format: "%.1f ms run (holds the CDR table's lock), then %.1f ms dropping the files in their own transaction (about %lld rows)",
                                milliseconds, run.dropElapsed.seconds * 1000, run.droppedRowsEstimate),
                   ratio: milliseconds / 100, goal: "< 100 ms (ratio = run ÷ 100 ms)", ok: milliseconds < 100)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
