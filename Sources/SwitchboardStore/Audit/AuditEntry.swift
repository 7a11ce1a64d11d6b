import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What happened, to which record, and which fields; never the values (no personal data in the trail).
public struct AuditEntry: Sendable {
    public var action: String
    public var targetID: UUID?
    public var fields: [String]
    /// The tenant the event belongs to; it selects the hash chain.
    public var resellerID: UUID?
    public var customerID: UUID?

    /// The hash chain the entry joins: its reseller's id as PostgreSQL writes a uuid, or `platform`.
    /// Named in every insert, because on Citus it routes the entry to its shard.
    public var chain: String {
        resellerID.map { $0.uuidString.lowercased() } ?? "platform"
    }

    public init(action: String, targetID: UUID?, fields: [String] = [], resellerID: UUID?, customerID: UUID? = nil) {
        self.action = action
        self.targetID = targetID
        self.fields = fields
        self.resellerID = resellerID
        self.customerID = customerID
    }
}
