import Foundation
import PostgresNIO
import SwitchboardDomain

/// A person of the platform's staff, as the platform lists them (never the password hash).
package struct PlatformStaffRecord: Sendable, Equatable {
    package let id: UUID
    package let email: String
    package let fullName: String
    package let duties: Set<PlatformDuty>
    package let isActive: Bool
    package let createdAt: Date

    static let columns = "id, email, full_name, duties, status, created_at"

    init(row: PostgresRow) throws {
        var cells = RowColumns(row)
        id = try cells.next()
        email = try cells.next()
        fullName = try cells.next()
        duties = Set(try cells.next([String].self).compactMap(PlatformDuty.init(rawValue:)))
        isActive = try cells.next(String.self) == "active"
        createdAt = try cells.next()
    }
}
