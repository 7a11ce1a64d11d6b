import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct ResellerRecord: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var status: ResellerStatus
    public var contactName: String?
    public var contactEmail: String?
    public var contactPhone: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int
}
