import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct DPAStatus: Sendable, Equatable {
    public var currentVersion: String
    public var acceptedAt: Date?
    public var acceptanceID: UUID?
}
