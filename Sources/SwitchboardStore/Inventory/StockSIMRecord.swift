import Foundation
import SwitchboardDomain

/// A SIM card of the caller's stock and, when assigned, who holds it.
public struct StockSIMRecord: Sendable {
    public var iccid: String
    public var state: SIMState
    public var batchID: UUID
    public var customerID: UUID?
    public var employeeID: UUID?
}
