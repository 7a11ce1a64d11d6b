import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct APIKeyRecord: Sendable, Equatable {
    public var id: UUID
    public var resellerID: UUID?
    public var name: String
    public var displayPrefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}
