import Foundation

/// Failures of the private PostgreSQL cluster, each with the fix an operator needs.
public enum LocalClusterError: Error, CustomStringConvertible {
    case binariesNotFound(searched: [String])
    case noUnprivilegedUser(String)
    /// Another live Switchboard process (this PID: the server, not its PostgreSQL) uses the directory.
    case alreadyRunning(dataDirectory: String, serverPID: Int32)
    /// As root: the PostgreSQL user cannot pass `blockedAt`, and the files could not be placed elsewhere
    /// (`relocation`: the place tried and why it failed), or an existing cluster would have to move.
    case dataDirectoryUnreachable(dataDirectory: String, user: String, blockedAt: String, relocation: (path: String, problem: String)?)
    /// PostgreSQL left behind by a server that died would not shut down.
    case orphanWouldNotStop(pid: Int32, dataDirectory: String)
    case versionMismatch(dataDirectory: String, clusterVersion: String, binaryDirectory: String)
    case commandFailed(command: String, status: Int32, logExcerpt: String)
    case startFailed(logExcerpt: String, logFile: String)
    case startTimedOut(logFile: String)

    public var description: String {
        switch self {
        case .binariesNotFound(let searched):
            return """
                PostgreSQL server programs (initdb, postgres) were not found; looked in: \(searched.joined(separator: ", ")).
                Fix: install them (Debian/Ubuntu: apt-get install postgresql), or set SWITCHBOARD_PG_BIN to the directory \
                holding initdb and postgres, or set DATABASE_URL to use an existing PostgreSQL server.
                """
        case .noUnprivilegedUser(let name):
            return """
                PostgreSQL refuses to run as root, and the OS user '\(name)' to run it as does not exist.
                Fix: create it (useradd --system \(name)), set SWITCHBOARD_PG_USER to another unprivileged user, \
                or run Switchboard as a non-root user.
                """
        case .alreadyRunning(let directory, let pid):
            return """
                Another Switchboard process (PID \(pid)) is already using the data directory \(directory).
                Fix: stop that process first (kill \(pid): it stops its PostgreSQL too), or give this one its own \
                directory with SWITCHBOARD_DATA_DIR.
                """
        case .dataDirectoryUnreachable(let directory, let user, let blocked, let relocation):
            let tried = relocation.map { "It could not use \($0.path) instead either: \($0.problem).\n" } ?? ""
            return """
                PostgreSQL runs as the unprivileged user '\(user)', which cannot reach \(directory): \(blocked) does not let it pass.
                \(tried)Fix: set SWITCHBOARD_DATA_DIR to a directory '\(user)' can reach (for example /var/lib/switchboard/data), \
                or allow it through with 'chmod o+x \(blocked)' if that suits you.
                """
        case .orphanWouldNotStop(let pid, let directory):
            return """
                PostgreSQL (PID \(pid)) left running on \(directory) by a Switchboard process that is gone did not shut down.
                Fix: stop it (kill -INT \(pid)), then start Switchboard again.
                """
        case .versionMismatch(let directory, let clusterVersion, let binaryDirectory):
            return """
                The cluster in \(directory) was created by PostgreSQL \(clusterVersion), but the programs in \(binaryDirectory) are another version.
                Fix: set SWITCHBOARD_PG_BIN to PostgreSQL \(clusterVersion)'s bin directory, or move the data directory away to start afresh.
                """
        case .commandFailed(let command, let status, let excerpt):
            return "\(command) exited with status \(status):\n\(excerpt)"
        case .startFailed(let excerpt, let logFile):
            return "PostgreSQL did not start. Last lines of \(logFile):\n\(excerpt)"
        case .startTimedOut(let logFile):
            return "PostgreSQL did not become ready within the time limit; see \(logFile)."
        }
    }
}
