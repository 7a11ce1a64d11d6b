import PostgresNIO

/// Operator-facing text for database errors, whose default descriptions hide the cause.
public enum PostgresErrorDescription {
    public static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            // SQLSTATE and message only: DETAIL lines can quote row values (personal data).
            if let message = psql.serverInfo?[.message] {
                return "PostgreSQL \(psql.serverInfo?[.sqlState] ?? "?"): \(message)"
            }
            if let underlying = psql.underlying {
                return "cannot reach PostgreSQL: \(underlying)"
            }
            return "PostgreSQL error: \(psql.code)"
        }
        return String(describing: error)
    }
}
