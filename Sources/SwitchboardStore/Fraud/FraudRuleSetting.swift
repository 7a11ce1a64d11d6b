import Foundation
import PostgresNIO

/// One rule's thresholds (the platform's default, or its override for one reseller). The measure
/// each threshold applies to is the rule's own (``FraudRule``).
package struct FraudRuleSetting: Sendable, Equatable {
    package var enabled: Bool
    package var windowMinutes: Int
    package var warningAt: Int
    package var criticalAt: Int
    /// Cost thresholds in the rating currency; only the high-cost burst has them.
    package var warningCost: Decimal?
    package var criticalCost: Decimal?
    /// Only the short-call flood: a call this short or shorter counts.
    package var shortCallSeconds: Int?

    package init(enabled: Bool, windowMinutes: Int, warningAt: Int, criticalAt: Int, warningCost: Decimal?, criticalCost: Decimal?, shortCallSeconds: Int?) {
        self.enabled = enabled
        self.windowMinutes = windowMinutes
        self.warningAt = warningAt
        self.criticalAt = criticalAt
        self.warningCost = warningCost
        self.criticalCost = criticalCost
        self.shortCallSeconds = shortCallSeconds
    }

    static let columns = "enabled, window_minutes, warning_at, critical_at, warning_cost::text, critical_cost::text, short_call_seconds"

    init(cells: inout RowColumns) throws {
        enabled = try cells.next()
        windowMinutes = Int(try cells.next(Int32.self))
        warningAt = Int(try cells.next(Int32.self))
        criticalAt = Int(try cells.next(Int32.self))
        warningCost = try cells.next(String?.self).flatMap { Decimal(string: $0) }
        criticalCost = try cells.next(String?.self).flatMap { Decimal(string: $0) }
        shortCallSeconds = try cells.next(Int32?.self).map(Int.init)
    }
}
