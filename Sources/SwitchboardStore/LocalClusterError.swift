import Foundation

/// Failures of the private PostgreSQL cluster, each with the fix an operator needs.
public enum LocalClusterError: Error, CustomStringConvertible, Equatable {
    case binariesNotFound(searched: [String])
    case noUnprivilegedUser(String)
    case alreadyRunning(dataDirectory: String, pid: Int32)
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
                Another server (PID \(pid)) is already running on the data directory \(directory).
                Fix: stop that server first, or give this one its own directory with SWITCHBOARD_DATA_DIR.
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
