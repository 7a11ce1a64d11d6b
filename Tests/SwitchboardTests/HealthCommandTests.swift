import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// `switchboard health`, the container image's probe: exit 0 only when the server answers 200,
/// 1 otherwise, and never waits longer than its timeout (a silent listener included).
final class HealthCommandTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbhealth-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `switchboard health` with `arguments` and the image's environment; its exit status,
    /// output and how long it took.
    private func probe(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, output: String, took: Duration) {
        let process = Process()
        process.executableURL = try ServerProcess.executable
        process.arguments = ["health"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_HOST"] = "0.0.0.0"
        for (name, value) in extra { environment[name] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let started = ContinuousClock.now
        try process.run()
        while process.isRunning {
            guard ContinuousClock.now - started < .seconds(30) else {
                process.terminate()
                throw TestFailure("switchboard health did not end within 30 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output, ContinuousClock.now - started)
    }

    func testTheProbeAnswersForARunningServerAndFailsBoundedOtherwise() async throws {
        let server = try ServerProcess(dataDirectory: directory.appendingPathComponent("data"))
        defer { server.killHard() }
        try await server.waitUntilReady()

        // As the image runs it: SWITCHBOARD_HOST=0.0.0.0 and the port from the environment.
        let alive = try await probe([], environment: ["SWITCHBOARD_PORT": String(server.port)])
        XCTAssertEqual(alive.status, 0, alive.output)
        XCTAssertTrue(alive.output.contains("/health"), alive.output)
        let ready = try await probe(["--ready", "--port", String(server.port)])
        XCTAssertEqual(ready.status, 0, ready.output)
        XCTAssertTrue(ready.output.contains("/ready"), ready.output)

        await server.stop()
        let stopped = try await probe(["--port", String(server.port), "--timeout", "2"])
        XCTAssertEqual(stopped.status, 1, stopped.output)
        XCTAssertTrue(stopped.output.contains("unhealthy"), stopped.output)

        // A listener that accepts and never answers: the probe gives up at its timeout.
        let (descriptor, silentPort) = try ServerProcess.boundSocket(listening: true)
        defer { close(descriptor) }
        let silent = try await probe(["--port", String(silentPort), "--timeout", "1"])
        XCTAssertEqual(silent.status, 1, silent.output)
        XCTAssertTrue(silent.output.contains("within"), silent.output)
        XCTAssertLessThan(silent.took, .seconds(5))

        let invalid = try await probe(["--port", "70000"])
        XCTAssertNotEqual(invalid.status, 0)
    }
}
