import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What an NDJSON batch (CDRs or telemetry) came to.
public struct BatchOutcome: Sendable, Equatable {
    public var batchID: UUID
    public var records: Int
    public var unknownNumbers: Int
    /// True when the Idempotency-Key named a batch already stored: nothing new was written.
    public var replayed: Bool
}
