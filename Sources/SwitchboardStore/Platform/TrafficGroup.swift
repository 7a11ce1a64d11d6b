import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A group of the traffic analytics: a day and the chosen dimensions.
public struct TrafficGroup: Sendable {
    public var day: String
    public var resellerID: UUID?
    public var country: String?
    public var kind: String?
    public var subscribers: Int
    public var records: Int
    public var callSeconds: Int64
    public var sms: Int
    public var dataBytes: Int64
}
