import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who PostgreSQL's processes run as: this process's user, or an unprivileged one when we are root.
struct ProcessOwner: Sendable {
    let uid: uid_t
    let gid: gid_t
    let name: String
    let switchUser: Bool

    static func forPostgres(unprivilegedUser: String) throws -> ProcessOwner {
        guard geteuid() == 0 else {
            return ProcessOwner(uid: geteuid(), gid: getegid(), name: ProcessInfo.processInfo.userName, switchUser: false)
        }
        guard let entry = getpwnam(unprivilegedUser) else { throw LocalClusterError.noUnprivilegedUser(unprivilegedUser) }
        return ProcessOwner(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, name: unprivilegedUser, switchUser: true)
    }

    /// Makes `url` belong to the PostgreSQL user with the given mode.
    func adopt(_ url: URL, mode: Int) throws {
        try FileManager.default.setAttributes(
            [.ownerAccountID: NSNumber(value: uid), .groupOwnerAccountID: NSNumber(value: gid), .posixPermissions: NSNumber(value: mode)],
            ofItemAtPath: url.path
        )
    }

    /// The first directory above `url` this owner may not pass through, or nil when every one lets it.
    ///
    /// Judged from each directory's owner, group and mode as the kernel would for this user with its
    /// primary group only (PostgreSQL runs with `--clear-groups`); ACLs are not consulted, so a
    /// directory opened to the user by an ACL alone is reported blocked (the fix named stays right).
    func firstBlockedAncestor(of url: URL) -> String? {
        guard switchUser else { return nil }  // PostgreSQL runs as us: we reached the directory ourselves
        var path = url.resolvingSymlinksInPath().deletingLastPathComponent().path
        var ancestors: [String] = []
        while true {
            ancestors.append(path)
            if path == "/" || path.isEmpty { break }
            path = (path as NSString).deletingLastPathComponent
        }
        for directory in ancestors.reversed() {
            var status = stat()
            guard stat(directory, &status) == 0 else { continue }  // not there yet: created by us and adopted
            let mode = status.st_mode
            let searchable: Bool
            if status.st_uid == uid {
                searchable = mode & 0o100 != 0
            } else if status.st_gid == gid {
                searchable = mode & 0o010 != 0
            } else {
                searchable = mode & 0o001 != 0
            }
            if !searchable { return directory }
        }
        return nil
    }

    /// The command line that runs `program` as this owner, told to shut down fast (SIGINT) when this
    /// process dies, even by `kill -9`. setpriv execs, so the PID is the program's own.
    func command(_ program: URL, _ arguments: [String]) -> (executable: URL, arguments: [String]) {
        let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
        let available = FileManager.default.isExecutableFile(atPath: setpriv.path)
        guard available else { return (program, arguments) }  // no parent-death signal then; the next start recovers
        var options = ["--pdeathsig", "INT"]
        if switchUser { options = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups"] + options }
        return (setpriv, options + ["--", program.path] + arguments)
    }
}
