import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Why a batch was refused; nothing of it is stored.
public enum BatchRefusal: Error, Sendable, Equatable {
    /// A line broke a rule; the violation names the line and field.
    case invalidLine(FieldViolation)
    case empty
    case tooLarge(limit: Int)
    /// The key was used before for a batch with a different body.
    case idempotencyKeyReused
    /// No partition holds the records' month: the retention job has not prepared it.
    case partitionMissing
}
