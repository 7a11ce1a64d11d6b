import Foundation
import Logging
import PostgresNIO

/// The person a content item belongs to, with the tenant that holds them.
public struct ContentOwner: Sendable, Equatable {
    public var resellerID: UUID
    public var customerID: UUID
    public var employeeID: UUID

    public init(resellerID: UUID, customerID: UUID, employeeID: UUID) {
        self.resellerID = resellerID
        self.customerID = customerID
        self.employeeID = employeeID
    }

    /// The tenant of a person content may be stored for (exists and is not anonymised), asked
    /// before their data key is made; answers for the telephony role, which acts for no tenant and
    /// cannot read the directory.
    public static func of(_ employeeID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ContentOwner? {
        let rows = try await connection.query("SELECT reseller_id, customer_id FROM sb.content_owner(\(employeeID))", logger: logger)
        for try await (resellerID, customerID) in rows.decode((UUID, UUID).self) {
            return ContentOwner(resellerID: resellerID, customerID: customerID, employeeID: employeeID)
        }
        return nil
    }
}
