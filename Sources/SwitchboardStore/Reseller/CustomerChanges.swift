import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct CustomerChanges: Sendable {
    public var name: String?
    /// An empty string clears the value.
    public var cvr: String?
    public var externalRef: String?
    public var extensionLengths: ClosedRange<Int>?

    public init(name: String? = nil, cvr: String? = nil, externalRef: String? = nil, extensionLengths: ClosedRange<Int>? = nil) {
        self.name = name
        self.cvr = cvr
        self.externalRef = externalRef
        self.extensionLengths = extensionLengths
    }

    public var changedFields: [String] {
        [("name", name != nil), ("cvr", cvr != nil), ("externalRef", externalRef != nil), ("extensionLength", extensionLengths != nil)]
            .filter(\.1).map(\.0)
    }
}
