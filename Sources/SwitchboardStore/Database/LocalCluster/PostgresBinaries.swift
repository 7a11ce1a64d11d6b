import Foundation

/// The installed PostgreSQL server programs (`initdb`, `postgres`) used for a private cluster.
public struct PostgresBinaries: Sendable {
    public let directory: URL

    public var initdb: URL { directory.appendingPathComponent("initdb") }
    public var postgres: URL { directory.appendingPathComponent("postgres") }

    /// `explicitDirectory` (the operator's `SWITCHBOARD_PG_BIN`), then the newest
    /// `/usr/lib/postgresql/*/bin`, then each directory of `searchPath` (the process's `PATH`).
    ///
    /// Reads no environment itself: the caller passes what was read once at start.
    public static func locate(
        explicitDirectory: String? = nil,
        searchPath: String? = nil,
        installRoot: URL = URL(fileURLWithPath: "/usr/lib/postgresql")
    ) throws -> PostgresBinaries {
        var candidates: [URL] = []
        if let explicit = explicitDirectory, !explicit.isEmpty {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: installRoot.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append(installRoot.appendingPathComponent(version).appendingPathComponent("bin"))
        }
        for entry in (searchPath ?? "").split(separator: ":") {
            candidates.append(URL(fileURLWithPath: String(entry)))
        }
        for directory in candidates {
            let binaries = PostgresBinaries(directory: directory)
            if FileManager.default.isExecutableFile(atPath: binaries.initdb.path),
               FileManager.default.isExecutableFile(atPath: binaries.postgres.path) {
                return binaries
            }
        }
        throw LocalClusterError.binariesNotFound(searched: candidates.map(\.path))
    }
}
