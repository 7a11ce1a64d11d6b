import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct ManagerRecord: Sendable, Equatable {
    public var id: UUID
    public var resellerID: UUID
    public var customerID: UUID
    public var email: String
    public var fullName: String
    public var createdAt: Date
}
