import Foundation
import PostgresNIO

/// The one statement that writes a transaction's role and settings (``ScopeSettings``), used by
/// ``ScopedDatabase`` for every scope. `sb_enter_scope` (migration 0019) sets each with `SET LOCAL`,
/// which is transaction-local: when the transaction ends, the pooled connection is back to the
/// bare login role that can read nothing. `SET LOCAL`, unlike `set_config`, is also forwarded by
/// Citus to every worker the transaction touches, so the same statement serves plain PostgreSQL
/// and a Citus coordinator. `statement_timeout` rides along, so bounding every statement costs no
/// round trip.
///
/// Sent unprepared (parsed each time, in the same round trip): PostgresNIO keeps a prepared
/// statement's failure for the connection's whole life, so a connection that tried before the
/// function was migrated (a replica waiting on `/ready`) would never recover.
package struct EnterScope {
    package static let sql = "SELECT public.sb_enter_scope($1, $2, $3, $4, $5, $6, $7)"

    let settings: ScopeSettings
    /// Whole milliseconds, PostgreSQL's unit for a bare number.
    let statementTimeoutMilliseconds: String

    package init(_ settings: ScopeSettings, statementTimeout: Duration) {
        self.settings = settings
        self.statementTimeoutMilliseconds = Self.milliseconds(statementTimeout)
    }

    /// A duration as `statement_timeout` takes it: whole milliseconds, at least 1.
    package static func milliseconds(_ duration: Duration) -> String {
        String(max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }

    package var query: PostgresQuery {
        var bindings = PostgresBindings(capacity: 7)
        for value in [settings.role, settings.principalID, settings.resellerID, settings.customerID, settings.credentialHash, settings.loginEmail, statementTimeoutMilliseconds] {
            bindings.append(value)
        }
        return PostgresQuery(unsafeSQL: Self.sql, binds: bindings)
    }

    /// The same statement with its values written in as literals, for tools that replay what the
    /// server runs (the benchmark's pgbench scripts). The values are role names, ids and numbers.
    package var literalSQL: String {
        let values = [settings.role, settings.principalID, settings.resellerID, settings.customerID, settings.credentialHash, settings.loginEmail, statementTimeoutMilliseconds]
        var sql = Self.sql
        for (index, value) in values.enumerated().reversed() {
            sql = sql.replacingOccurrences(of: "$\(index + 1)", with: "'" + value.replacingOccurrences(of: "'", with: "''") + "'")
        }
        return sql.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}
