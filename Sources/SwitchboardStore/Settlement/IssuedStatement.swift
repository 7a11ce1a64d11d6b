import Foundation

/// A statement or note with its lines and, for a statement, the notes that correct it.
package struct IssuedStatement: Sendable, Equatable {
    package let statement: StatementRecord
    package let lines: [StatementLineRecord]
    /// Ids of the credit and debit notes referring to this statement, oldest first.
    package let notes: [UUID]
}
