import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A person ending their own session (customer scope).
public struct SessionRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func revoke(_ sessionID: UUID) async throws -> Bool {
        try await connection.query(
            "UPDATE sb.sessions SET revoked_at = now() WHERE id = \(sessionID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        ).collect().isEmpty == false
    }
}
