import Foundation
import PostgresNIO
import SwitchboardDomain

/// An alert as its reader may see it: the reseller's view leaves out who at the platform handled
/// it and their note (the columns are not even granted to the reseller's role).
package struct FraudAlertRecord: Sendable, Equatable {
    package enum Level: String, Sendable { case warning, critical }
    package enum State: String, Sendable { case open, acknowledged, resolved }

    package let id: UUID
    package let resellerID: UUID
    package let customerID: UUID?
    package let rule: FraudRule
    package let servedNumber: String
    package let level: Level
    package let state: State
    package let windowStart: Date
    package let windowEnd: Date
    package let measure: Int64
    package let calls: Int64
    /// Exact, as stored (four decimals).
    package let cost: String
    package let raisedAt: Date
    package let escalatedAt: Date?
    package let updatedAt: Date
    package let acknowledgedAt: Date?
    package let resolvedAt: Date?
    /// The platform's view only.
    package let acknowledgedBy: UUID?
    package let resolvedBy: UUID?
    package let resolution: String?

    static let resellerColumns = """
        id, reseller_id, customer_id, rule, served_number, level, state, window_start, window_end, measure, calls, cost::text,
        raised_at, escalated_at, updated_at, acknowledged_at, resolved_at
        """
    static let platformColumns = resellerColumns + ", acknowledged_by, resolved_by, resolution"

    init(row: PostgresRow, platformView: Bool) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        resellerID = try cells.next()
        customerID = try cells.next()
        rule = FraudRule(rawValue: try cells.next()) ?? .highCostBurst
        servedNumber = try cells.next()
        level = Level(rawValue: try cells.next()) ?? .warning
        state = State(rawValue: try cells.next()) ?? .open
        windowStart = try cells.next()
        windowEnd = try cells.next()
        measure = try cells.next()
        calls = try cells.next()
        cost = try cells.next()
        raisedAt = try cells.next()
        escalatedAt = try cells.next()
        updatedAt = try cells.next()
        acknowledgedAt = try cells.next()
        resolvedAt = try cells.next()
        if platformView {
            acknowledgedBy = try cells.next()
            resolvedBy = try cells.next()
            resolution = try cells.next()
        } else {
            acknowledgedBy = nil
            resolvedBy = nil
            resolution = nil
        }
    }
}
