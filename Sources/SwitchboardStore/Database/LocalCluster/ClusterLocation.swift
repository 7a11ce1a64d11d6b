import Crypto
import Foundation

/// Where a data directory's PostgreSQL files (`pgdata/`, `postgres.log`, `run/`) live.
///
/// Normally in the data directory itself. As root, PostgreSQL runs as an unprivileged user that
/// must pass through every directory above them; a clone under root's 0700 home cannot host them.
/// Rather than loosen the user's directories behind their back, the files then go to a directory of
/// their own under `relocationBase` (`/var/lib/switchboard`), and the data directory keeps a pointer
/// file naming it, so moving the clone later does not lose the data. The choice is announced at start.
struct ClusterLocation: Sendable, Equatable {
    /// The directory holding `pgdata/`, `postgres.log` and `run/`.
    let root: URL
    /// The directory above the data directory that the PostgreSQL user could not pass, when relocated.
    let relocatedBecause: String?

    static let pointerFileName = "cluster-location"

    static func resolve(dataDirectory: URL, owner: ProcessOwner, relocationBase: URL?) throws -> ClusterLocation {
        let pointer = dataDirectory.appendingPathComponent(pointerFileName)
        if let recorded = try? String(contentsOf: pointer, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !recorded.isEmpty {
            let root = URL(fileURLWithPath: recorded)
            if let blocked = owner.firstBlockedAncestor(of: root) {
                throw LocalClusterError.dataDirectoryUnreachable(dataDirectory: root.path, user: owner.name, blockedAt: blocked, relocation: nil)
            }
            return ClusterLocation(root: root, relocatedBecause: owner.firstBlockedAncestor(of: dataDirectory) ?? "recorded in \(pointer.path)")
        }
        guard let blocked = owner.firstBlockedAncestor(of: dataDirectory) else {
            return ClusterLocation(root: dataDirectory, relocatedBecause: nil)
        }
        let existing = dataDirectory.appendingPathComponent("pgdata/PG_VERSION")
        guard let relocationBase, !FileManager.default.fileExists(atPath: existing.path) else {
            // An existing cluster is never moved silently; without a place to relocate to, refuse.
            throw LocalClusterError.dataDirectoryUnreachable(dataDirectory: dataDirectory.path, user: owner.name, blockedAt: blocked, relocation: nil)
        }
        let root = relocationBase.appendingPathComponent(relocatedName(for: dataDirectory))
        if let baseBlocked = owner.firstBlockedAncestor(of: root) {
            throw LocalClusterError.dataDirectoryUnreachable(
                dataDirectory: dataDirectory.path, user: owner.name, blockedAt: blocked, relocation: (root.path, baseBlocked)
            )
        }
        do {
            try FileManager.default.createDirectory(at: relocationBase, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try (root.path + "\n").write(to: pointer, atomically: true, encoding: .utf8)
        } catch {
            throw LocalClusterError.dataDirectoryUnreachable(
                dataDirectory: dataDirectory.path, user: owner.name, blockedAt: blocked, relocation: (root.path, "\(error.localizedDescription)")
            )
        }
        return ClusterLocation(root: root, relocatedBecause: blocked)
    }

    /// `<last path component>-<8 hex digits of the full path>`: readable, and distinct per data directory.
    static func relocatedName(for dataDirectory: URL) -> String {
        let digest = SHA256.hash(data: Data(dataDirectory.path.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        let readable = dataDirectory.lastPathComponent.unicodeScalars
            .map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" }
        return String(readable.prefix(40)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + "-" + digest
    }
}
