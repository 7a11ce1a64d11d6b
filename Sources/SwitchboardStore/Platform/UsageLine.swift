import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A month's usage of one number, as resellers and managers see it.
public struct UsageLine: Sendable {
    public var customerID: UUID
    public var number: String
    public var calls: Int64
    public var callSeconds: Int64
    public var billedMinutes: Int64
    public var sms: Int64
    public var dataBytes: Int64
    /// Decimal text with four places, exact.
    public var charge: String
}
