import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Customers' telecom managers (processor scope: the policy refuses them until the DPA is accepted).
public struct ManagerRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public func create(resellerID: UUID, customerID: UUID, id: UUID, email: String, fullName: String, passwordHash: String) async throws -> ManagerRecord {
        try await connection.query(
            """
            INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash)
            VALUES (\(resellerID), \(customerID), \(id), \(email), \(fullName), \(passwordHash))
            """,
            logger: logger
        )
        return ManagerRecord(id: id, resellerID: resellerID, customerID: customerID, email: email, fullName: fullName, createdAt: Date())
    }
}
