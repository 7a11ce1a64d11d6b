import Foundation

/// A leaver's anonymisation set for a later day (UTC), carried out by ``ScheduledAnonymiser``.
public struct ScheduledAnonymisationRecord: Sendable, Equatable {
    public var employeeID: UUID
    /// The day, as `YYYY-MM-DD`.
    public var dueOn: String
    public var scheduledAt: Date
}
