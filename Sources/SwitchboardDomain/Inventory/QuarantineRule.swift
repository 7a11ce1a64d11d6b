import Foundation

/// How long a released number stays out of reach before anyone may get it again, so its next
/// holder never receives calls meant for the previous one (DESIGN §7).
public struct QuarantineRule: Sendable, Equatable {
    public static let defaultDays = 90

    public let days: Int

    public init(days: Int = Self.defaultDays) {
        precondition(days >= 0, "a quarantine cannot be negative")
        self.days = days
    }

    /// When a number released at `release` becomes available again.
    public func ends(releasedAt release: Date) -> Date {
        release.addingTimeInterval(TimeInterval(days) * 86_400)
    }
}
