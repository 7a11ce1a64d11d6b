import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The data-processing agreement each reseller accepts before storing processor-scope data.
public struct DPARepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func status(resellerID: UUID) async throws -> DPAStatus {
        let rows = try await connection.query(
            """
            SELECT sb.current_dpa_version(), a.accepted_at, a.id
            FROM (SELECT 1) one
            LEFT JOIN sb.dpa_acceptances a ON a.reseller_id = \(resellerID) AND a.version = sb.current_dpa_version()
            """,
            logger: logger
        )
        for try await (version, acceptedAt, id) in rows.decode((String, Date?, UUID?).self) {
            return DPAStatus(currentVersion: version, acceptedAt: acceptedAt, acceptanceID: id)
        }
        throw StoreError.notFound
    }

    /// Records acceptance of `version`, which must be the current one; accepting again returns the first acceptance.
    public func accept(resellerID: UUID, id: UUID, version: String, by principalID: UUID) async throws -> (status: DPAStatus, created: Bool) {
        let rows = try await connection.query(
            """
            INSERT INTO sb.dpa_acceptances (reseller_id, id, version, accepted_by)
            VALUES (\(resellerID), \(id), \(version), \(principalID))
            ON CONFLICT (reseller_id, version) DO NOTHING
            RETURNING id
            """,
            logger: logger
        )
        let created = try await rows.collect().isEmpty == false
        return (try await status(resellerID: resellerID), created)
    }
}
