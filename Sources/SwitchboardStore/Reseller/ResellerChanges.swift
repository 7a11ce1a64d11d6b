import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct ResellerChanges: Sendable {
    public var name: String?
    public var status: ResellerStatus?
    /// For the contact fields, an empty string clears the value.
    public var contactName: String?
    public var contactEmail: String?
    public var contactPhone: String?

    public init(name: String? = nil, status: ResellerStatus? = nil, contactName: String? = nil, contactEmail: String? = nil, contactPhone: String? = nil) {
        self.name = name
        self.status = status
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
    }

    public var changedFields: [String] {
        [("name", name), ("status", status?.rawValue), ("contactName", contactName), ("contactEmail", contactEmail), ("contactPhone", contactPhone)]
            .compactMap { $0.1 == nil ? nil : $0.0 }
    }
}
