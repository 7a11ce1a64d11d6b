import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// One stored call detail record, as platform staff see it.
public struct StoredCDR: Sendable {
    public var batchID: UUID
    public var line: Int
    public var startedAt: Date
    public var kind: String
    public var direction: String
    public var aNumber: String
    public var bNumber: String?
    public var durationSeconds: Int?
    public var bytes: Int64?
    public var ip: String?
    public var cell: String?
    public var country: String?
    public var charge: String
    public var resellerID: UUID?
    public var customerID: UUID?
}
