import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// An employee with the numbers, SIMs and fax-to-mail currently assigned.
public struct EmployeeRecord: Sendable, Equatable {
    public struct Assignment: Sendable, Equatable {
        public var id: UUID
        public var value: String
        public var assignedAt: Date
    }

    public struct FaxToMail: Sendable, Equatable {
        public var id: UUID
        public var faxNumber: String
        public var deliveryEmail: String
        public var createdAt: Date
    }

    public var id: UUID
    public var resellerID: UUID
    public var customerID: UUID
    public var fullName: String
    public var email: String?
    public var mobile: String?
    public var extensionNumber: String?
    public var directoryListing: DirectoryListing
    public var marketingConsent: Bool
    public var restrictedAt: Date?
    public var restrictionReason: String?
    public var anonymisedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int
    public var numbers: [Assignment]
    public var sims: [Assignment]
    public var faxToMail: [FaxToMail]
}
