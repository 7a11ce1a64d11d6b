import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A person ending their own session: a manager (customer scope) or platform staff.
public struct SessionRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func revoke(_ sessionID: UUID, staff: Bool = false) async throws -> Bool {
        let table = staff ? "sb.platform_sessions" : "sb.sessions"
        let revoked = try await connection.query(
            "UPDATE \(unescaped: table) SET revoked_at = now() WHERE id = \(sessionID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        ).collect().isEmpty == false
        if revoked { try await CredentialChangeNotice.announce(on: connection, logger: logger) }
        return revoked
    }
}
