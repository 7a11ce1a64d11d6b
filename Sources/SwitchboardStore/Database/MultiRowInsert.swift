import Logging
import PostgresNIO

/// `INSERT INTO table (columns) VALUES (…), (…)` for a batch of rows, one statement per
/// `rowsPerStatement` rows (the protocol carries at most 65,535 parameters per statement).
///
/// Batches are written this way, not as `INSERT … SELECT … FROM unnest(arrays)`: on Citus an
/// INSERT whose source is a SELECT is evaluated on the coordinator and copied into the shards,
/// and Citus' COPY refuses every table under row-level security; a VALUES list is split by
/// shard and routed. On plain PostgreSQL both cost about the same.
struct MultiRowInsert {
    let table: String
    let columns: [String]
    /// Appended to every statement, e.g. `ON CONFLICT … DO NOTHING RETURNING id`.
    var suffix: String = ""
    /// Casts for values bound as another type than their column's, by column (`"month": "date"`
    /// for a month bound as text).
    var casts: [String: String] = [:]

    var rowsPerStatement: Int { max(1, min(1_000, 65_535 / max(columns.count, 1))) }

    /// Binds each row's values in column order; returns what the suffix's `RETURNING` gives, in order.
    /// No rows, no statement.
    @discardableResult
    func run<Row>(
        _ rows: [Row], on connection: PostgresConnection, logger: Logger,
        bind: (Row, inout PostgresBindings) throws -> Void
    ) async throws -> [PostgresRow] {
        var returned: [PostgresRow] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let end = min(start + rowsPerStatement, rows.endIndex)
            var binds = PostgresBindings(capacity: (end - start) * columns.count)
            var tuples: [String] = []
            tuples.reserveCapacity(end - start)
            for row in rows[start..<end] {
                let first = binds.count + 1
                try bind(row, &binds)
                precondition(binds.count - first + 1 == columns.count, "\(table): a row bound \(binds.count - first + 1) values for \(columns.count) columns")
                tuples.append("(" + zip(first..<first + columns.count, columns).map { number, column in
                    casts[column].map { "$\(number)::\($0)" } ?? "$\(number)"
                }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", ")) \(suffix)"
            returned += try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
            start = end
        }
        return returned
    }
}
