/// What a settlement document is: the month's statement, or a note that corrects one.
/// Amounts are positive on every kind; a credit note reduces what the statement charged, a debit
/// note adds to it.
public enum StatementKind: String, Sendable, CaseIterable {
    case statement
    case creditNote = "credit-note"
    case debitNote = "debit-note"

    /// +1 for what the reseller owes more, -1 for what it owes less.
    public var sign: Int {
        switch self {
        case .statement, .debitNote: 1
        case .creditNote: -1
        }
    }
}
