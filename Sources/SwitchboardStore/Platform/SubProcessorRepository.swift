import Foundation
import Logging
import PostgresNIO

/// The platform's sub-processor register: the platform adds and withdraws entries (announced to
/// every reseller as events), everyone reads it.
package struct SubProcessorRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package struct NewSubProcessor: Sendable {
        package var name: String
        package var service: String
        package var location: String
        package var transferBasis: String
        /// `yyyy-MM-dd`, validated.
        package var engagedFrom: String

        package init(name: String, service: String, location: String, transferBasis: String, engagedFrom: String) {
            self.name = name
            self.service = service
            self.location = location
            self.transferBasis = transferBasis
            self.engagedFrom = engagedFrom
        }
    }

    package func add(_ entry: NewSubProcessor, id: UUID) async throws -> SubProcessorRecord {
        try await connection.query(
            """
            INSERT INTO sb.sub_processors (id, name, service, location, transfer_basis, engaged_from)
            VALUES (\(id), \(entry.name), \(entry.service), \(entry.location), \(entry.transferBasis), \(entry.engagedFrom)::date)
            RETURNING \(unescaped: SubProcessorRecord.columns)
            """,
            logger: logger
        ).collect().map(SubProcessorRecord.init(row:))[0]
    }

    /// Announces the end of an engagement; nil when there is no such entry or its end was announced already.
    package func withdraw(_ id: UUID, until: String) async throws -> SubProcessorRecord? {
        try await connection.query(
            """
            UPDATE sb.sub_processors SET engaged_until = \(until)::date, withdrawal_announced_at = now()
            WHERE id = \(id) AND engaged_until IS NULL
            RETURNING \(unescaped: SubProcessorRecord.columns)
            """,
            logger: logger
        ).collect().first.map(SubProcessorRecord.init(row:))
    }

    package func get(_ id: UUID) async throws -> SubProcessorRecord? {
        try await connection.query("SELECT \(unescaped: SubProcessorRecord.columns) FROM sb.sub_processors WHERE id = \(id)", logger: logger)
            .collect().first.map(SubProcessorRecord.init(row:))
    }

    /// The whole register, in order of engagement; entries whose engagement ended stay listed.
    package func list() async throws -> [SubProcessorRecord] {
        try await connection.query("SELECT \(unescaped: SubProcessorRecord.columns) FROM sb.sub_processors ORDER BY engaged_from, name, id", logger: logger)
            .collect().map(SubProcessorRecord.init(row:))
    }
}
