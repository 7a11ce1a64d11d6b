/// A customer's usage totals exceed what the contract's 64-bit integers can carry.
struct UsageTotalsOverflow: Error {}

extension UsageTotalsOverflow: CustomStringConvertible {
    var description: String { "a customer's usage totals exceed the 64-bit range of the contract's integers" }
}
