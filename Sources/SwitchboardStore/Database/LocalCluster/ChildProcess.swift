import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process whose output goes to a log file; Foundation's `Process` behind a Sendable face.
final class ChildProcess: @unchecked Sendable {
    private let process: Process

    private init(process: Process) { self.process = process }

    /// Launches from ``ProcessSpawner``'s permanent thread, so a parent-death signal means this process died.
    static func launch(_ command: (executable: URL, arguments: [String]), logFile: URL) async throws -> ChildProcess {
        try await ProcessSpawner.shared.run {
            let process = Process()
            process.executableURL = command.executable
            process.arguments = command.arguments
            let log = try FileHandle(forWritingTo: logFile)
            try log.seekToEnd()
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? log.close()
            return ChildProcess(process: process)
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var terminationStatus: Int32 { process.terminationStatus }
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }
}
