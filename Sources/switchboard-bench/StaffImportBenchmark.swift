import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The staff CSV import (issue 13): 10,000 employees with a number and a SIM card each, from stock
/// the platform allocated first, through `POST …/employees/import` (dry run, then applied), against
/// a raw COPY of the same rows into the same three tables as the superuser (no parsing, checks,
/// policies, stock claims or audit): the floor any import of these rows stands on.
enum StaffImportBenchmark {
    static func run(rows: Int, resellerKey: String, reseller: String, in environment: TrafficBenchmark.Environment) async throws -> Row {
        let logger = environment.logger
        let platformKey = try await TrafficBenchmark.platformKey(in: environment)
        func curl(_ arguments: [String]) async throws -> String {
            try await runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments)
        }
        // The platform allocates the stock through the API, as in production.
        let numbers = NumberRange.numbers(from: "+4576000000", count: rows)!
        let iccids = (0..<rows).map { iccid(seed: 500_000 + $0) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-import-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let batchFile = directory.appendingPathComponent("batch.json")
        try Data(#"{"iccids":[\#(iccids.map { "\"\($0)\"" }.joined(separator: ","))]}"#.utf8).write(to: batchFile)
        for (path, body) in [("number-blocks", "{\"first\":\"\(numbers[0])\",\"count\":\(rows)}"), ("sim-batches", "@\(batchFile.path)")] {
            let status = try await curl(["-X", "POST", "-H", "Authorization: Bearer \(platformKey)", "-H", "Content-Type: application/json",
                                         "--data-binary", body, "\(environment.base)/v1/resellers/\(reseller)/\(path)"])
            guard status == "201" else { throw BenchError("allocating \(path) answered \(status)") }
        }

        // Two new companies of the measured reseller: one imports through the API, one takes the COPY.
        let (apiCustomer, copyCustomer) = try await environment.target.withAdminConnection(logger: logger) { connection in
            let ids = try await connection.query(
                "INSERT INTO sb.customers (reseller_id, id, name) SELECT \(UUID(uuidString: reseller)!), gen_random_uuid(), 'Import ' || i FROM generate_series(1, 2) i RETURNING id::text",
                logger: logger
            ).collect().map { try $0.decode(String.self) }
            return (ids[0], ids[1])
        }
        var csv = "fullName,extension,email,mobile,number,iccid\r\n"
        for index in 0..<rows {
            csv += "Joiner \(index),\(100_000 + index),joiner\(index)@import.example,,\(numbers[index]),\(iccids[index])\r\n"
        }
        let csvFile = directory.appendingPathComponent("staff.csv")
        try Data(csv.utf8).write(to: csvFile)
        func importCSV(dryRun: Bool) async throws -> Double {
            let begin = ContinuousClock.now
            let status = try await curl(["-X", "POST", "-T", csvFile.path, "-H", "Authorization: Bearer \(resellerKey)", "-H", "Content-Type: text/csv",
                                         "\(environment.base)/v1/customers/\(apiCustomer)/employees/import\(dryRun ? "?dryRun=true" : "")"])
            guard status == (dryRun ? "200" : "201") else { throw BenchError("import (dryRun \(dryRun)) answered \(status)") }
            return (ContinuousClock.now - begin).seconds
        }
        let dryRunSeconds = try await importCSV(dryRun: true)
        let importSeconds = try await importCSV(dryRun: false)

        // The limit: the same rows (other numbers and SIM cards, unique platform-wide) by COPY.
        var employees = "", assignments = "", sims = ""
        for index in 0..<rows {
            let employee = UUID().uuidString.lowercased()
            employees += "\(reseller)\t\(copyCustomer)\t\(employee)\tJoiner \(index)\tjoiner\(index)@import.example\t\(100_000 + index)\n"
            assignments += "\(reseller)\t\(copyCustomer)\t\(employee)\t\(UUID().uuidString.lowercased())\t+4577\(String(format: "%06d", index))\n"
            sims += "\(reseller)\t\(copyCustomer)\t\(employee)\t\(UUID().uuidString.lowercased())\t\(iccid(seed: 700_000 + index))\n"
        }
        var commands: [String] = []
        for (name, table, columns, text) in [("employees", "sb.employees", "reseller_id, customer_id, id, full_name, email, extension", employees),
                                             ("numbers", "sb.number_assignments", "reseller_id, customer_id, employee_id, id, number", assignments),
                                             ("sims", "sb.sim_cards", "reseller_id, customer_id, employee_id, id, iccid", sims)] {
            let file = directory.appendingPathComponent("\(name).copy")
            try Data(text.utf8).write(to: file)
            commands += ["-c", "\\copy \(table) (\(columns)) FROM '\(file.path)'"]
        }
        let begin = ContinuousClock.now
        _ = try await runCommand(environment.binaries.appendingPathComponent("psql").path, [
            "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-h", environment.socketDirectory, "-U", LocalPostgresCluster.superuser, "-d", environment.database,
        ] + commands)
        let copySeconds = (ContinuousClock.now - begin).seconds

        let apiRate = Double(rows) / importSeconds, copyRate = Double(rows) / copySeconds
        return Row(name: "staff CSV import, \(rows) rows with a number and a SIM each: API (parse, check, claim stock, insert, audit ×3) ÷ raw COPY of the same rows",
                   text: String(format: "%.0f rows/s (%.2f s) via API; dry run %.2f s; raw COPY %.0f rows/s (%.2f s)",
                                apiRate, importSeconds, dryRunSeconds, copyRate, copySeconds),
                   ratio: apiRate / copyRate, goal: "import < 15 s (a request's deadline)", ok: importSeconds < 15)
    }

    /// A valid ICCID (Luhn) built from `seed`.
    static func iccid(seed: Int) -> String {
        let payload = "894520" + String(format: "%012d", seed)
        return payload + String(Luhn.checkDigit(for: payload))
    }
}
