import Foundation
import PostgresNIO

/// The one statement that writes a transaction's role and settings (``ScopeSettings``), used by
/// ``ScopedDatabase`` for every scope. Everything is set with `set_config(…, true)`, which is
/// transaction-local: when the transaction ends, the pooled connection is back to the bare login
/// role that can read nothing. `statement_timeout` rides along, so bounding every statement costs
/// no round trip. How the settings reach the database is decided here alone (a Citus cluster
/// needs `SET LOCAL` with `citus.propagate_set_commands = 'local'` instead: a change to this file).
///
/// Prepared once per connection: every transaction runs it, and it never needs a new plan.
package struct EnterScope: PostgresPreparedStatement {
    package static let sql = """
        SELECT set_config('role', $1, true),
               set_config('sb.principal_id', $2, true),
               set_config('sb.reseller_id', $3, true),
               set_config('sb.customer_id', $4, true),
               set_config('sb.credential_hash', $5, true),
               set_config('sb.login_email', $6, true),
               set_config('statement_timeout', $7, true)
        """
    package static let bindingDataTypes: [PostgresDataType] = Array(repeating: .text, count: 7)
    package typealias Row = Void

    let settings: ScopeSettings
    /// Whole milliseconds, PostgreSQL's unit for a bare number.
    let statementTimeoutMilliseconds: String

    package init(_ settings: ScopeSettings, statementTimeout: Duration) {
        self.settings = settings
        let milliseconds = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        self.statementTimeoutMilliseconds = String(max(1, milliseconds))
    }

    package func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        for value in [settings.role, settings.principalID, settings.resellerID, settings.customerID, settings.credentialHash, settings.loginEmail, statementTimeoutMilliseconds] {
            bindings.append(value)
        }
        return bindings
    }

    package func decodeRow(_ row: PostgresRow) throws {}

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
