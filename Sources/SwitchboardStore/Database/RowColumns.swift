import PostgresNIO

/// Reads a row's columns in order, one typed decode each.
///
/// Decoding a wide row as one tuple goes through variadic generics, which look up type metadata
/// on every row; on a page of 50 that showed up in the request path's profile. Like the tuple
/// decode, a reader that does not take exactly the statement's columns fails (see ``finish()``).
struct RowColumns {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        guard let cell = cells.next() else { throw Mismatch(description: "the row has fewer columns than its reader takes") }
        return try cell.decode(Value.self, context: .default)
    }

    /// Call after the last column: a row with columns left over has drifted from its reader.
    mutating func finish() throws {
        guard cells.next() == nil else { throw Mismatch(description: "the row has more columns than its reader takes") }
    }

    /// A statement and the code reading its rows disagree: a programming error.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }
}
