import Crypto
import Foundation
import Logging
import PostgresNIO

/// The ordered migrations shipped with this build.
public struct MigrationSet: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads every `NNNN_name.sql` in `directory`; any other `.sql` name, or a repeated number, is an error.
    public static func load(from directory: URL) throws -> MigrationSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.directoryUnreadable(directory.path)
        }
        var byVersion: [Int: Migration] = [:]
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]),
                  parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" })
            else { throw MigrationError.badFileName(fileName) }
            let sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            let migration = Migration(version: version, name: String(parts[1]), sql: sql)
            if let existing = byVersion[version] {
                throw MigrationError.duplicateVersion(existing.fileName, fileName)
            }
            byVersion[version] = migration
        }
        return MigrationSet(migrations: Array(byVersion.values))
    }

    /// `explicit` (the operator's `--migrations-dir` or `SWITCHBOARD_MIGRATIONS_DIR`), else `./migrations`,
    /// else `migrations/` beside or above the executable. Reads no environment itself.
    public static func defaultDirectory(explicit: String? = nil) -> URL {
        if let explicit, !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("migrations")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return local
    }
}
