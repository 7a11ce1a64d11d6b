import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct EmployeeChanges: Sendable {
    public var fullName: String?
    /// For e-mail and mobile, an empty string clears the value.
    public var email: String?
    public var mobile: String?
    public var extensionNumber: String?
    public var directoryListing: DirectoryListing?
    public var marketingConsent: Bool?

    public init() {}

    public var changedFields: [String] {
        [("fullName", fullName != nil), ("email", email != nil), ("mobile", mobile != nil), ("extension", extensionNumber != nil),
         ("directoryListing", directoryListing != nil), ("marketingConsent", marketingConsent != nil)]
            .filter(\.1).map(\.0)
    }
}
