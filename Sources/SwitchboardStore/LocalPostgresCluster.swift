import Crypto
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster in a local directory, run as a foreground child process.
///
/// Layout of the data directory: `pgdata/` (the cluster), `postgres.log`, and `run/` for the Unix socket
/// (or a short directory under /tmp when the path would exceed the 107-byte socket limit).
/// It listens on that socket only (`listen_addresses=''`), so no TCP port can clash and
/// only the owning OS user can connect.
public final class LocalPostgresCluster: Sendable {
    public enum Durability: Sendable {
        /// The user's own data: every PostgreSQL safety setting stays on.
        case durable
        /// Test clusters: fsync and friends off, nothing worth keeping.
        case throwaway
    }

    public struct Options: Sendable {
        public var dataDirectory: URL
        public var durability: Durability
        /// The OS user PostgreSQL runs as when this process is root.
        public var unprivilegedUser: String
        public var startTimeout: Duration

        public init(
            dataDirectory: URL,
            durability: Durability = .durable,
            unprivilegedUser: String = ProcessInfo.processInfo.environment["SWITCHBOARD_PG_USER"] ?? "postgres",
            startTimeout: Duration = .seconds(60)
        ) {
            self.dataDirectory = dataDirectory
            self.durability = durability
            self.unprivilegedUser = unprivilegedUser
            self.startTimeout = startTimeout
        }
    }

    public static let superuser = "postgres"

    public let dataDirectory: URL
    public let socketPath: String
    public let logFile: URL
    private let child: ChildProcess
    private let stopped = Mutex(false)

    private init(dataDirectory: URL, socketPath: String, logFile: URL, child: ChildProcess) {
        self.dataDirectory = dataDirectory
        self.socketPath = socketPath
        self.logFile = logFile
        self.child = child
    }

    /// Connection details for the cluster's superuser (trusted over the private socket).
    public func target(database: String) -> DatabaseTarget {
        DatabaseTarget(endpoint: .unixSocket(path: socketPath), database: database, adminUser: Self.superuser, adminPassword: nil)
    }

    /// Creates the cluster on first use, starts PostgreSQL and waits until it accepts connections.
    public static func start(
        _ options: Options,
        binaries: PostgresBinaries? = nil,
        logger: Logger
    ) async throws -> LocalPostgresCluster {
        let binaries = try binaries ?? PostgresBinaries.locate()
        let fileManager = FileManager.default
        let root = URL(fileURLWithPath: options.dataDirectory.path, relativeTo: URL(fileURLWithPath: fileManager.currentDirectoryPath))
            .standardizedFileURL
        try fileManager.createDirectory(at: root, withIntermediateDirectories: true)

        let owner = try ProcessOwner.forPostgres(unprivilegedUser: options.unprivilegedUser)
        try owner.adopt(root, mode: 0o700)

        let clusterDirectory = root.appendingPathComponent("pgdata")
        if let pid = runningPostmasterPID(in: clusterDirectory) {
            throw LocalClusterError.alreadyRunning(dataDirectory: root.path, pid: pid)
        }

        let logFile = root.appendingPathComponent("postgres.log")
        if !fileManager.fileExists(atPath: logFile.path) {
            _ = fileManager.createFile(atPath: logFile.path, contents: nil)
        }
        try owner.adopt(logFile, mode: 0o600)

        let versionFile = clusterDirectory.appendingPathComponent("PG_VERSION")
        if !fileManager.fileExists(atPath: versionFile.path) {
            try await initializeCluster(at: clusterDirectory, binaries: binaries, owner: owner, durability: options.durability, logFile: logFile, logger: logger)
        } else {
            try checkVersion(of: clusterDirectory, against: binaries)
        }

        let socketDirectory = try makeSocketDirectory(root: root, owner: owner)
        var arguments = [
            "-D", clusterDirectory.path,
            "-c", "listen_addresses=",
            "-c", "unix_socket_directories=\(socketDirectory.path)",
            "-c", "unix_socket_permissions=0700",
            "-c", "port=5432",
        ]
        if options.durability == .throwaway {
            arguments += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"]
        }
        logger.info("starting private PostgreSQL", metadata: ["data_dir": "\(root.path)", "binaries": "\(binaries.directory.path)"])
        let child = try ChildProcess.launch(owner.command(binaries.postgres, arguments), logFile: logFile)
        let cluster = LocalPostgresCluster(
            dataDirectory: root,
            socketPath: socketDirectory.appendingPathComponent(".s.PGSQL.5432").path,
            logFile: logFile,
            child: child
        )
        do {
            try await cluster.waitUntilReady(clusterDirectory: clusterDirectory, timeout: options.startTimeout)
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    /// Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit) and wait for the process to end.
    public func stop() async {
        guard signalStopOnce() else { return }
        for _ in 0..<3000 where child.isRunning {  // up to 60 s
            try? await Task.sleep(for: .milliseconds(20))
        }
        if child.isRunning { child.signal(SIGQUIT) }
    }

    /// The same as ``stop()`` for callers that cannot await (process-exit observers).
    public func stopBlocking() {
        guard signalStopOnce() else { return }
        for _ in 0..<3000 where child.isRunning { usleep(20_000) }
        if child.isRunning { child.signal(SIGQUIT) }
    }

    private func signalStopOnce() -> Bool {
        let first = stopped.withLock { alreadyStopped in
            defer { alreadyStopped = true }
            return !alreadyStopped
        }
        if first, child.isRunning { child.signal(SIGINT) }
        return first
    }

    public var isRunning: Bool { child.isRunning }

    private func waitUntilReady(clusterDirectory: URL, timeout: Duration) async throws {
        let pidFile = clusterDirectory.appendingPathComponent("postmaster.pid")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard child.isRunning else {
                throw LocalClusterError.startFailed(logExcerpt: Self.tail(of: logFile), logFile: logFile.path)
            }
            // Line 1 is the postmaster's PID (so a stale file from an earlier run cannot fool us), line 8 its status.
            if let lines = try? String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false),
               lines.count >= 8,
               Int32(lines[0].trimmingCharacters(in: .whitespaces)) == child.pid,
               lines[7].trimmingCharacters(in: .whitespaces) == "ready" {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LocalClusterError.startTimedOut(logFile: logFile.path)
    }

    /// initdb into a scratch directory and rename it into place, so an interrupted initdb never
    /// leaves a half-made cluster where the next start would find it.
    private static func initializeCluster(
        at clusterDirectory: URL,
        binaries: PostgresBinaries,
        owner: ProcessOwner,
        durability: Durability,
        logFile: URL,
        logger: Logger
    ) async throws {
        let scratch = clusterDirectory.deletingLastPathComponent().appendingPathComponent("pgdata.initdb")
        try? FileManager.default.removeItem(at: scratch)
        logger.info("creating PostgreSQL cluster", metadata: ["dir": "\(clusterDirectory.path)"])
        var arguments = ["-D", scratch.path, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
        if durability == .throwaway { arguments.append("--no-sync") }
        let child = try ChildProcess.launch(owner.command(binaries.initdb, arguments), logFile: logFile)
        while child.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard child.terminationStatus == 0 else {
            throw LocalClusterError.commandFailed(command: "initdb", status: child.terminationStatus, logExcerpt: tail(of: logFile))
        }
        try FileManager.default.moveItem(at: scratch, to: clusterDirectory)
    }

    private static func checkVersion(of clusterDirectory: URL, against binaries: PostgresBinaries) throws {
        let clusterVersion = (try? String(contentsOf: clusterDirectory.appendingPathComponent("PG_VERSION"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        // Debian layout: /usr/lib/postgresql/<major>/bin. Elsewhere we cannot tell cheaply, and postgres itself refuses a mismatch.
        let binaryMajor = binaries.directory.deletingLastPathComponent().lastPathComponent
        if Int(binaryMajor) != nil, binaryMajor != clusterVersion {
            throw LocalClusterError.versionMismatch(dataDirectory: clusterDirectory.path, clusterVersion: clusterVersion, binaryDirectory: binaries.directory.path)
        }
    }

    /// The PID recorded in `postmaster.pid` if that process is still a live postgres.
    static func runningPostmasterPID(in clusterDirectory: URL) -> Int32? {
        let pidFile = clusterDirectory.appendingPathComponent("postmaster.pid")
        guard let contents = try? String(contentsOf: pidFile, encoding: .utf8),
              let firstLine = contents.split(separator: "\n").first,
              let pid = Int32(firstLine.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        // A PID reused by an unrelated program after a crash is not a running cluster.
        if let command = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
           !command.contains("postgres") {
            return nil
        }
        return pid
    }

    private static func makeSocketDirectory(root: URL, owner: ProcessOwner) throws -> URL {
        var directory = root.appendingPathComponent("run")
        if directory.appendingPathComponent(".s.PGSQL.5432").path.utf8.count > 100 {
            let digest = SHA256.hash(data: Data(root.path.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
            directory = URL(fileURLWithPath: "/tmp/switchboard-\(digest)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try owner.adopt(directory, mode: 0o700)
        return directory
    }

    static func tail(of file: URL, lines: Int = 15) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Who PostgreSQL's processes run as: this process's user, or an unprivileged one when we are root.
struct ProcessOwner: Sendable {
    let uid: uid_t
    let gid: gid_t
    let switchUser: Bool

    static func forPostgres(unprivilegedUser: String) throws -> ProcessOwner {
        guard geteuid() == 0 else { return ProcessOwner(uid: geteuid(), gid: getegid(), switchUser: false) }
        guard let entry = getpwnam(unprivilegedUser) else { throw LocalClusterError.noUnprivilegedUser(unprivilegedUser) }
        return ProcessOwner(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, switchUser: true)
    }

    /// Makes `url` belong to the PostgreSQL user with the given mode.
    func adopt(_ url: URL, mode: Int) throws {
        try FileManager.default.setAttributes(
            [.ownerAccountID: NSNumber(value: uid), .groupOwnerAccountID: NSNumber(value: gid), .posixPermissions: NSNumber(value: mode)],
            ofItemAtPath: url.path
        )
    }

    /// The command line that runs `program` as this owner (setpriv execs, so the PID is the program's own).
    func command(_ program: URL, _ arguments: [String]) -> (executable: URL, arguments: [String]) {
        guard switchUser else { return (program, arguments) }
        return (URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--", program.path] + arguments)
    }
}

/// A child process whose output goes to a log file; Foundation's `Process` behind a Sendable face.
final class ChildProcess: @unchecked Sendable {
    private let process: Process

    private init(process: Process) { self.process = process }

    static func launch(_ command: (executable: URL, arguments: [String]), logFile: URL) throws -> ChildProcess {
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

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var terminationStatus: Int32 { process.terminationStatus }
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }
}
