import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct CustomerRecord: Sendable, Equatable {
    public var resellerID: UUID
    public var id: UUID
    public var name: String
    /// Nil for the platform, which may read tenant metadata only.
    public var cvr: String?
    public var externalRef: String?
    public var status: CustomerStatus
    public var terminatedAt: Date?
    /// Set by the retention job when it starts purging a terminated customer: no reactivation after.
    public var purgeStartedAt: Date?
    public var purgedAt: Date?
    /// Nil for the platform (not metadata it may read).
    public var extensionMinLength: Int?
    public var extensionMaxLength: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int
}

extension CustomerRecord {
    public var extensionLengths: ClosedRange<Int> {
        (extensionMinLength ?? 2)...(extensionMaxLength ?? 6)
    }
}
