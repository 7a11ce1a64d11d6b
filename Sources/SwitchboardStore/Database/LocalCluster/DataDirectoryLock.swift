import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Proof that this process is the only Switchboard using a data directory: an exclusive `flock` on
/// `switchboard.lock`, which the kernel drops the moment its holder dies, however it dies.
///
/// A PostgreSQL left running by a server killed with `kill -9` therefore cannot be mistaken for a
/// live server's (its server holds no lock any more), and a live server is always recognised. The
/// file is opened close-on-exec so PostgreSQL, our child, never inherits (and outlives us holding) it.
final class DataDirectoryLock: Sendable {
    static let fileName = "switchboard.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the lock and records this process's PID in the file, or throws naming the process that holds it.
    static func acquire(in directory: URL) throws -> DataDirectoryLock {
        let path = directory.appendingPathComponent(fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalClusterError.commandFailed(command: "open \(path)", status: errno, logExcerpt: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            close(descriptor)
            throw LocalClusterError.alreadyRunning(dataDirectory: directory.path, serverPID: holder)
        }
        let record = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return DataDirectoryLock(descriptor: descriptor)
    }

    /// Gives the directory up (also happens by itself when the process ends).
    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
