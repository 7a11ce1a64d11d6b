import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The state a change must check first, read with the row locked for the rest of the transaction.
public struct EmployeeLock: Sendable {
    public var resellerID: UUID
    public var customerID: UUID
    public var restrictedAt: Date?
    public var anonymisedAt: Date?
    public var directoryListing: DirectoryListing
    public var marketingConsent: Bool
    public var version: Int
}
