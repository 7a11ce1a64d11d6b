import PostgresNIO

/// Reads a row's columns in order, one typed decode each.
///
/// Decoding a wide row as one tuple goes through variadic generics, which look up type metadata
/// on every row; on a page of 50 that showed up in the request path's profile.
struct RowColumns {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        guard let cell = cells.next() else { throw RowColumnsExhausted() }
        return try cell.decode(Value.self, context: .default)
    }
}

/// The statement returned fewer columns than its reader expects: a programming error.
struct RowColumnsExhausted: Error {}
