import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What anonymisation erased and released, for the receipt.
public struct AnonymisationResult: Sendable, Equatable {
    public var anonymisedAt: Date
    public var pseudonym: String
    public var alreadyAnonymised: Bool
    public var contentDeleted: [String: Int]
    public var preferenceHistoryDeleted: Int
    public var numbersReleased: [String]
    public var simsReleased: [String]
    public var faxToMailRemoved: [String]
}
