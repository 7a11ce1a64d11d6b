import PostgresNIO

/// Database outcomes a caller must handle; anything else is a bug or an outage.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    /// The record changed since the client read it (optimistic concurrency).
    case versionMismatch(current: Int)
    case uniqueViolation(constraint: String)
    /// A row-level security check or a missing privilege refused the write.
    case refusedByPolicy

    /// Maps the PostgreSQL errors callers handle; others pass through unchanged.
    public static func classify(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return error }
        switch state {
        case "23505": return StoreError.uniqueViolation(constraint: psql.serverInfo?[.constraintName] ?? "")
        case "42501": return StoreError.refusedByPolicy
        case "P0002": return StoreError.notFound  // raised by triggers for an unknown referenced row
        default: return error
        }
    }
}

/// One page of a keyset-paginated list; `nextCursor` is the last id when more may follow.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: UUID?

    init(fetched: [Item], limit: Int, id: (Item) -> UUID) {
        let page = Array(fetched.prefix(limit))
        self.items = page
        self.nextCursor = fetched.count > limit ? page.last.map(id) : nil
    }
}

import struct Foundation.UUID
