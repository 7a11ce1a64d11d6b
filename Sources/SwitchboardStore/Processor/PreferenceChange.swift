import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct PreferenceChange: Sendable, Equatable {
    public var preference: String
    public var value: String
    public var changedBy: UUID
    public var changedByRole: String
    public var changedAt: Date
    /// The entry's place in its employee's history, in commit order (1, 2, ...).
    public var sequence: Int
}
