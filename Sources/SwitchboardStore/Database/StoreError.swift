import Foundation
import PostgresNIO

/// Database outcomes a caller must handle; anything else is a bug or an outage.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    /// The record changed since the client read it (optimistic concurrency).
    case versionMismatch(current: Int)
    case uniqueViolation(constraint: String)
    /// A row-level security check or a missing privilege refused the write.
    case refusedByPolicy
    /// The database refused a well-formed value (a CHECK, NOT NULL, length or range rule) of `column`
    /// (the column, or the constraint's name when it spans several), breaking `rule`.
    case invalidValue(column: String, rule: String)
    /// A value the database cannot hold or parse at all (NUL, invalid text for the column's type).
    case malformedValue(column: String, rule: String)
    /// A foreign key refused the write: the referenced row does not exist.
    case missingReference(column: String)
    /// A foreign key refused a delete: other rows still refer to this one.
    case stillReferenced
    /// An exclusion constraint (an overlapping row exists).
    case overlaps(constraint: String)
    /// The customer's data is being or has been purged (`sb.customer_purge_is_final`): it can no longer change.
    case purgeStarted

    /// Maps every PostgreSQL integrity (class 23) and data (class 22) error, the ones a client's
    /// input can cause, to an outcome a client is told about; others (outages, bugs) pass through.
    public static func classify(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError, let info = psql.serverInfo, let state = info[.sqlState] else { return error }
        let column = Self.column(info)
        switch state {
        case "23505": return StoreError.uniqueViolation(constraint: info[.constraintName] ?? "")
        case "42501": return StoreError.refusedByPolicy
        case "P0002": return StoreError.notFound  // raised by triggers for an unknown referenced row
        case "55000": return StoreError.purgeStarted  // raised by the purge's triggers and functions only
        case "23514": return StoreError.invalidValue(column: column, rule: "check")
        case "23502": return StoreError.invalidValue(column: column, rule: "required")
        case "23503":
            // PostgreSQL words the two directions differently and gives no separate code.
            if (info[.message] ?? "").hasPrefix("update or delete") { return StoreError.stillReferenced }
            return StoreError.missingReference(column: column)
        case "23P01": return StoreError.overlaps(constraint: info[.constraintName] ?? "")
        case "22001": return StoreError.invalidValue(column: column, rule: "maxLength")
        case "22003", "22008", "22015": return StoreError.invalidValue(column: column, rule: "range")
        case let state where state.hasPrefix("23"): return StoreError.invalidValue(column: column, rule: "constraint")
        // 22P02 invalid text representation, 22021 character not in repertoire (NUL in text),
        // 22P05 untranslatable character (\u0000 in JSON), 22007 invalid datetime, and the rest of class 22.
        case let state where state.hasPrefix("22"): return StoreError.malformedValue(column: column, rule: "format")
        default: return error
        }
    }

    /// The column an error is about: named by PostgreSQL (NOT NULL), else taken from a
    /// `<table>_<column>_check` / `_fkey` constraint name, else the constraint's whole name.
    static func column(_ info: PSQLError.ServerInfo) -> String {
        if let column = info[.columnName] { return column }
        // A foreign key's detail lists its columns, "Key (reseller_id, customer_id)=(…) is not present…":
        // the last is the one a request names (the tenant columns come first). The values are not kept.
        if let detail = info[.detail], detail.hasPrefix("Key ("), let end = detail.range(of: ")=") {
            let columns = detail[detail.index(detail.startIndex, offsetBy: 5)..<end.lowerBound].split(separator: ",")
            if let last = columns.last { return last.trimmingCharacters(in: .whitespaces) }
        }
        guard let constraint = info[.constraintName] else { return "" }
        var name = Substring(constraint)
        if let table = info[.tableName], name.hasPrefix(table + "_") { name = name.dropFirst(table.count + 1) }
        for suffix in ["_check", "_fkey"] where name.hasSuffix(suffix) {
            name = name.dropLast(suffix.count)
        }
        return name.isEmpty ? constraint : String(name)
    }
}
