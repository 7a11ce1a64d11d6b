import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// The real `switchboard` executable, run as an operator would: its own process, its own private
/// PostgreSQL, talked to over a socket. For what only a whole process can show (crashes, start-up).
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let dataDirectory: URL
    let output: URL

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var pid: Int32 { process.processIdentifier }

    /// `swift test` builds every target, so the executable sits beside the test bundle.
    static var executable: URL {
        get throws {
            let candidates = [
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard"),
                TestCluster.repositoryRoot.appendingPathComponent(".build/debug/switchboard"),
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw TestFailure("the switchboard executable was not built; looked at \(candidates.map(\.path))")
            }
            return found
        }
    }

    static let bootstrapToken = "sbp_crash_test_platform_admin_key_0001"

    init(dataDirectory: URL, port: Int? = nil, arguments: [String] = ["serve"], environment extra: [String: String] = [:]) throws {
        self.dataDirectory = dataDirectory
        self.port = try port ?? Self.freePort()
        self.output = dataDirectory.deletingLastPathComponent().appendingPathComponent("\(dataDirectory.lastPathComponent)-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process = Process()
        process.executableURL = try Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestCluster.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_DATA_DIR"] = dataDirectory.path
        environment["SWITCHBOARD_PORT"] = String(self.port)
        environment["SWITCHBOARD_BOOTSTRAP_TOKEN"] = Self.bootstrapToken
        environment["SWITCHBOARD_RETENTION_INTERVAL_SECONDS"] = "0"
        environment["SWITCHBOARD_MIGRATIONS_DIR"] = TestCluster.migrationsDirectory.path
        environment["LOG_LEVEL"] = "notice"
        environment.removeValue(forKey: "DATABASE_URL")
        for (name, value) in extra { environment[name] = value }
        process.environment = environment
        let log = try FileHandle(forWritingTo: output)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Waits for `/ready` to answer 200 and returns how long that took from now.
    @discardableResult
    func waitUntilReady(within limit: Duration = .seconds(120)) async throws -> Duration {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            guard process.isRunning else { throw TestFailure("the server exited (\(process.terminationStatus)):\n\(log)") }
            if let status = try? await request("GET", "/ready").status, status == 200 { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("the server was not ready within \(limit):\n\(log)")
    }

    /// Waits for the process to end by itself; its exit status, or nil on time-out.
    func waitForExit(within limit: Duration) async throws -> Int32? {
        let started = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - started < limit { try await Task.sleep(for: .milliseconds(25)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func killHard() { kill(pid, SIGKILL) }

    func stop() async {
        guard process.isRunning else { return }
        kill(pid, SIGINT)
        _ = try? await waitForExit(within: .seconds(60))
        if process.isRunning { killHard() }
    }

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String]
        var json: [String: Any] {
            get throws {
                guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                    throw TestFailure("not a JSON object: \(String(decoding: body, as: UTF8.self))")
                }
                return object
            }
        }
    }

    func request(_ method: String, _ path: String, token: String? = nil, json: String? = nil, headers: [String: String] = [:], body: String? = nil) async throws -> Reply {
        // As written, query included (appendingPathComponent would escape the `?`).
        var request = URLRequest(url: URL(string: baseURL.absoluteString + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (body, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, body: body, headers: fields)
    }

    /// A port that was free a moment ago (bind 0, read it back, release it).
    static func freePort() throws -> Int {
        let (descriptor, port) = try boundSocket(listening: false)
        close(descriptor)
        return port
    }

    /// A loopback TCP socket on a port of the kernel's choice, listening (accepting and never
    /// answering) when asked; the caller closes it.
    static func boundSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && (!listening || listen(descriptor, 4) == 0) && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TestFailure("could not bind a loopback socket")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
