import Foundation

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
}
