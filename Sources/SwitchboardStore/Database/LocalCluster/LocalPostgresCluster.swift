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
        /// The OS user PostgreSQL runs as when this process is root (the operator's `SWITCHBOARD_PG_USER`).
        public var unprivilegedUser: String
        public var startTimeout: Duration
        /// Where PostgreSQL's files go when the unprivileged user cannot reach the data directory
        /// (see ``ClusterLocation``); nil refuses instead. Only consulted when running as root.
        public var relocationBase: URL?

        public init(
            dataDirectory: URL,
            durability: Durability = .durable,
            unprivilegedUser: String = "postgres",
            startTimeout: Duration = .seconds(60),
            relocationBase: URL? = URL(fileURLWithPath: "/var/lib/switchboard")
        ) {
            self.dataDirectory = dataDirectory
            self.durability = durability
            self.unprivilegedUser = unprivilegedUser
            self.startTimeout = startTimeout
            self.relocationBase = relocationBase
        }
    }

    public static let superuser = "postgres"

    public let dataDirectory: URL
    /// Where `pgdata/`, `postgres.log` and `run/` are: the data directory, or the place it points to.
    public let clusterRoot: URL
    public let socketPath: String
    public let logFile: URL
    private let child: ChildProcess
    private let lock: DataDirectoryLock
    private let stopped = Mutex(false)

    private init(dataDirectory: URL, clusterRoot: URL, socketPath: String, logFile: URL, child: ChildProcess, lock: DataDirectoryLock) {
        self.dataDirectory = dataDirectory
        self.clusterRoot = clusterRoot
        self.socketPath = socketPath
        self.logFile = logFile
        self.child = child
        self.lock = lock
    }

    /// Connection details for the cluster's superuser (trusted over the private socket).
    public func target(database: String) -> DatabaseTarget {
        DatabaseTarget(endpoint: .unixSocket(path: socketPath), database: database, adminUser: Self.superuser, adminPassword: nil)
    }

    /// Creates the cluster on first use, starts PostgreSQL and waits until it accepts connections.
    ///
    /// Refuses while another live Switchboard process uses the directory; shuts down a PostgreSQL
    /// that a dead one left behind (after `kill -9` or an out-of-memory kill) and starts afresh.
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
        let lock = try DataDirectoryLock.acquire(in: root)
        do {
            return try await start(root: root, options: options, owner: owner, binaries: binaries, lock: lock, logger: logger)
        } catch {
            lock.release()
            throw error
        }
    }

    private static func start(
        root: URL,
        options: Options,
        owner: ProcessOwner,
        binaries: PostgresBinaries,
        lock: DataDirectoryLock,
        logger: Logger
    ) async throws -> LocalPostgresCluster {
        let fileManager = FileManager.default
        let location = try ClusterLocation.resolve(dataDirectory: root, owner: owner, relocationBase: owner.switchUser ? options.relocationBase : nil)
        if let blocked = location.relocatedBecause {
            try fileManager.createDirectory(at: location.root, withIntermediateDirectories: true)
            logger.notice(
                "PostgreSQL's files for this data directory are kept elsewhere, because the user it runs as cannot pass a directory above it (its permissions are left as they are)",
                metadata: ["data_dir": "\(root.path)", "cluster_dir": "\(location.root.path)", "blocked_at": "\(blocked)", "pg_user": "\(owner.name)"]
            )
        }
        try owner.adopt(location.root, mode: 0o700)

        let clusterDirectory = location.root.appendingPathComponent("pgdata")
        try await stopOrphanedPostmaster(in: clusterDirectory, logger: logger)

        let logFile = location.root.appendingPathComponent("postgres.log")
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

        let socketDirectory = try makeSocketDirectory(root: location.root, owner: owner)
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
        logger.info("starting private PostgreSQL", metadata: ["data_dir": "\(location.root.path)", "binaries": "\(binaries.directory.path)"])
        let child = try await ChildProcess.launch(owner.command(binaries.postgres, arguments), logFile: logFile)
        let cluster = LocalPostgresCluster(
            dataDirectory: root,
            clusterRoot: location.root,
            socketPath: socketDirectory.appendingPathComponent(".s.PGSQL.5432").path,
            logFile: logFile,
            child: child,
            lock: lock
        )
        do {
            try await cluster.waitUntilReady(clusterDirectory: clusterDirectory, timeout: options.startTimeout)
        } catch {
            await cluster.stopChild()
            throw error
        }
        return cluster
    }

    /// A postmaster still running on our cluster while we hold the directory's lock belongs to a
    /// Switchboard process that died without stopping it. Fast shutdown keeps every committed
    /// transaction (it checkpoints); immediate shutdown, the fallback, leaves it to WAL replay.
    static func stopOrphanedPostmaster(in clusterDirectory: URL, logger: Logger) async throws {
        guard let pid = runningPostmasterPID(in: clusterDirectory) else { return }
        logger.warning("PostgreSQL left running by a Switchboard process that is gone; shutting it down before starting", metadata: ["pid": "\(pid)"])
        for (signal, patience) in [(SIGINT, 600), (SIGQUIT, 250)] {  // 30 s, then 5 s, in 50 ms steps
            kill(pid, signal)
            for _ in 0..<patience where isLive(pid) {
                try await Task.sleep(for: .milliseconds(50))
            }
            if !isLive(pid) {
                logger.notice("left-over PostgreSQL stopped", metadata: ["pid": "\(pid)"])
                return
            }
        }
        throw LocalClusterError.orphanWouldNotStop(pid: pid, dataDirectory: clusterDirectory.path)
    }

    /// Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit) and wait for the process to end.
    public func stop() async {
        await stopChild()
        lock.release()
    }

    private func stopChild() async {
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
        lock.release()
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

    /// Gives up the data directory without stopping PostgreSQL, as a killed server would.
    func abandonForTesting() {
        _ = stopped.withLock { alreadyStopped in alreadyStopped = true }
        lock.release()
    }

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
        let child = try await ChildProcess.launch(owner.command(binaries.initdb, arguments), logFile: logFile)
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
        guard isLive(pid) else { return nil }
        // A PID reused by an unrelated program after a crash is not a running cluster.
        if let command = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
           !command.contains("postgres") {
            return nil
        }
        return pid
    }

    /// Alive and not a zombie: an orphan's reaper may be slow, and a zombie holds nothing.
    static func isLive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards)
        else { return true }
        return stat[afterName.upperBound...].first != "Z"
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
