import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Standard HTTP clients over a real socket, for what the router test client cannot show: the exact
/// header text on the wire, and whether the server answers before a body has been sent.
/// Blocking work runs on threads of its own, never on the cooperative pool the server's handlers need.
enum WireClients {
    /// Runs `curl` with `arguments`; its standard output (the caller picks what it prints).
    static func curl(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                process.arguments = ["--silent", "--show-error", "--max-time", "120"] + arguments
                let output = Pipe()
                process.standardOutput = output
                do {
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: String(decoding: data, as: UTF8.self))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The response head `curl --include` printed, as lower-cased name → value (last one wins).
    static func headers(ofIncluded output: String) -> (status: Int, fields: [String: String]) {
        let head = output.components(separatedBy: "\r\n\r\n").first ?? ""
        var lines = head.components(separatedBy: "\r\n")
        let status = lines.isEmpty ? 0 : Int(lines.removeFirst().split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, fields)
    }

    /// Sends `head` and `bodyPrefix` to 127.0.0.1:`port` and waits up to `timeout` seconds for the
    /// response head without sending the rest of the body. Returns what arrived ("" for nothing).
    static func partialUpload(port: Int, head: String, bodyPrefix: [UInt8], timeout: Int = 10) async -> String {
        guard let socket = try? RawHTTPSocket(port: port), socket.send(bytes: Array(head.utf8) + bodyPrefix) else { return "" }
        return await socket.readUntil(limit: .seconds(timeout)) { $0.contains("\r\n\r\n") }.received
    }

    /// This process's resident memory in bytes (Linux).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
