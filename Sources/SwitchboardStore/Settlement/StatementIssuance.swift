import Foundation

/// What issuing a month for every active reseller did: the statements issued, and the resellers
/// skipped because their statement for the month exists already.
package struct StatementIssuance: Sendable {
    package struct Skipped: Sendable, Equatable {
        package let resellerID: UUID
        package let statementID: UUID
    }

    package var issued: [IssuedStatement] = []
    package var skipped: [Skipped] = []
}
