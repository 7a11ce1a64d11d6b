import Foundation

/// Runs a command to completion and returns its standard output. Waits on a thread of its own:
/// tasks run on the server's event loops, which a blocking wait would stall.
func runCommand(_ executable: String, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runCommandBlocking(executable, arguments) }) }.start()
    }
}

private func runCommandBlocking(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw BenchError("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)):\n\(text)")
    }
    return text
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One load run: throughput and latency percentiles in milliseconds.
struct LoadResult {
    var perSecond: Double
    var p50: Double?
    var p99: Double?
    /// Requests (or transactions) completed in the run, where the tool reports it.
    var completed: Int? = nil
}

/// HTTP load with wrk (Debian package `wrk`).
enum Wrk {
    static func available() -> String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func measure(url: String, token: String, connections: Int, seconds: Int) async throws -> LoadResult {
        try await measure(url: url, headers: ["Authorization: Bearer \(token)"], connections: connections, seconds: seconds)
    }

    static func measure(url: String, headers: [String], connections: Int, seconds: Int) async throws -> LoadResult {
        guard let wrk = available() else { throw BenchError("wrk is not installed: apt-get install wrk") }
        let text = try await runCommand(wrk, ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency"] + headers.flatMap { ["-H", $0] } + [url])
        if text.contains("Non-2xx or 3xx responses") { throw BenchError("wrk saw error responses:\n\(text)") }
        // A response whose framing is wrong (a Content-Length that is not the body's) shows only here.
        if text.contains("Socket errors:") { throw BenchError("wrk saw socket errors:\n\(text)") }
        guard let rate = value(after: "Requests/sec:", in: text) else { throw BenchError("cannot read wrk output:\n\(text)") }
        // "  123456 requests in 10.00s, 45.6MB read"
        let completed = text.split(separator: "\n").first { $0.contains(" requests in ") }
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        return LoadResult(perSecond: rate, p50: latency("50%", in: text), p99: latency("99%", in: text), completed: completed)
    }

    static func value(after label: String, in text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
        return Double(line.replacingOccurrences(of: label, with: "").trimmingCharacters(in: .whitespaces))
    }

    /// wrk prints latencies as `5.12ms`, `812.00us` or `1.02s`.
    static func latency(_ percentile: String, in text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(percentile) }) else { return nil }
        let raw = line.trimmingCharacters(in: .whitespaces).dropFirst(percentile.count).trimmingCharacters(in: .whitespaces)
        for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where raw.hasSuffix(unit) {
            return Double(raw.dropLast(unit.count)).map { $0 * factor }
        }
        return nil
    }
}

/// The database's own limit: the same SQL through pgbench.
///
/// pgbench's `-T` relies on SIGALRM, which a child of this process inherits blocked (so `-T`
/// never ends). It runs by transaction count instead: a short run calibrates the rate, the
/// measured run is sized to last about `seconds`.
enum Pgbench {
    /// `protocolMode` is pgbench's `-M`: `extended` parses and plans every statement, as an
    /// unprepared client does; `prepared` plans once per connection, as the server's hot statements do.
    static func measure(binaries: URL, socketDirectory: String, user: String, database: String, script: String, clients: Int, seconds: Int,
                        protocolMode: String = "extended") async throws -> LoadResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        func once(transactionsPerClient: Int) async throws -> Double {
            let text = try await runCommand(binaries.appendingPathComponent("pgbench").path, [
                "-n", "-M", protocolMode, "-c", "\(clients)", "-j", "2", "-t", "\(transactionsPerClient)", "-f", file.path,
                "-h", socketDirectory, "-p", "5432", "-U", user, database,
            ])
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
                  let tps = Double(line.dropFirst(6).split(separator: " ").first ?? "")
            else { throw BenchError("cannot read pgbench output:\n\(text)") }
            if let failed = text.split(separator: "\n").first(where: { $0.contains("number of failed transactions") }), !failed.contains(": 0 ") {
                throw BenchError("pgbench transactions failed:\n\(text)")
            }
            return tps
        }
        let calibration = try await once(transactionsPerClient: 50)
        let perClient = max(100, Int(calibration * Double(seconds) / Double(clients)))
        return LoadResult(perSecond: try await once(transactionsPerClient: perClient), p50: nil, p99: nil)
    }
}

func percentile(_ samples: [Double], _ fraction: Double) -> Double {
    let sorted = samples.sorted()
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
    return sorted[max(0, index)]
}
