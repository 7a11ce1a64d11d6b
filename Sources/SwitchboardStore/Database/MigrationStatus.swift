import Crypto
import Foundation
import Logging
import PostgresNIO

/// What the database's ledger says against the files of this build.
public struct MigrationStatus: Sendable, Equatable {
    public var applied: Int
    public var pending: [Migration]

    public var isCurrent: Bool { pending.isEmpty }
}
