package import Foundation
import SwitchboardDomain

/// How the inventory treats time, set by the operator (and by tests, which move the clock).
package struct InventorySettings: Sendable {
    /// How long a released number waits before it can be assigned again.
    package var quarantine: QuarantineRule
    /// The instant quarantine is measured against. Only quarantine reads it: assignment history
    /// keeps the database's own time, which CDR attribution compares with.
    package var clock: @Sendable () -> Date

    package init(quarantine: QuarantineRule = QuarantineRule(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.quarantine = quarantine
        self.clock = clock
    }
}
