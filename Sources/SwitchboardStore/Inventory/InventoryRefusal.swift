/// Why a value cannot be taken from the caller's stock.
///
/// `notInInventory` is the one answer for a value the caller's reseller does not hold, whether
/// nobody holds it or another reseller does: the lookup is by (reseller, value), so both take the
/// same path and nothing about other tenants can be told apart.
public enum InventoryRefusal: Error, Sendable, Equatable {
    /// `field` is the request field (`number`, `iccid`, `faxNumber`, `numbers/2`, ...).
    case notInInventory(field: String)
    /// In the caller's own stock, but assigned, quarantined, lost or stolen.
    case unavailable(field: String, kind: Kind, state: String)

    public enum Kind: String, Sendable { case number, sim }

    public var field: String {
        switch self {
        case .notInInventory(let field), .unavailable(let field, _, _): field
        }
    }
}
