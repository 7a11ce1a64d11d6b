import Crypto
import Foundation
import Logging
import PostgresNIO

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryUnreadable(String)
    case badFileName(String)
    case duplicateVersion(String, String)
    case checksumMismatch(fileName: String, recorded: String, actual: String)
    case unknownAppliedVersion(version: Int, name: String)
    case failed(fileName: String, message: String)

    public var description: String {
        switch self {
        case .directoryUnreadable(let path):
            return "Cannot read the migrations directory \(path). Set SWITCHBOARD_MIGRATIONS_DIR or run from the project directory."
        case .badFileName(let name):
            return "Migration file '\(name)' must be named NNNN_lowercase_name.sql."
        case .duplicateVersion(let first, let second):
            return "Migrations '\(first)' and '\(second)' share a number."
        case .checksumMismatch(let fileName, let recorded, let actual):
            return """
                Migration \(fileName) was changed after it was applied (recorded checksum \(recorded.prefix(12))…, file now \(actual.prefix(12))…). \
                Refusing to start. Migrations are append-only: restore the file as it was and put the change in a new migration.
                """
        case .unknownAppliedVersion(let version, let name):
            return String(format: "The database has migration %04d_%@ applied, which this build does not have: it was migrated by a newer version. Run that version, or restore a matching backup.", version, name)
        case .failed(let fileName, let message):
            return "Migration \(fileName) failed and was rolled back: \(message)"
        }
    }
}
