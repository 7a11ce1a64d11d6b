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
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: blockingPartialUpload(port: port, head: head, bodyPrefix: bodyPrefix, timeout: timeout))
            }
        }
    }

    private static func blockingPartialUpload(port: Int, head: String, bodyPrefix: [UInt8], timeout: Int) -> String {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return "" }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        // A refusal may close the socket while the body is still announced: no SIGPIPE for that.
        signal(SIGPIPE, SIG_IGN)
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(head.utf8) + bodyPrefix
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { return "" }
            sent += written
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let count = recv(socketFD, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
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
