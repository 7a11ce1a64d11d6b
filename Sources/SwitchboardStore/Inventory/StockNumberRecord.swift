import Foundation
import SwitchboardDomain

/// A number of the caller's stock and, when assigned, who holds it.
public struct StockNumberRecord: Sendable {
    public var number: String
    public var state: NumberState
    public var blockID: UUID
    public var use: NumberUse?
    public var customerID: UUID?
    public var employeeID: UUID?
    public var quarantinedUntil: Date?
}
