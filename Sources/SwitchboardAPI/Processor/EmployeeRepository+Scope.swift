internal import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

extension EmployeeRepository {
    /// The caller's own reseller's employees (a reseller, or a manager of one of its customers).
    /// A principal bound to no reseller holds no processor data, so for it no employee exists.
    init(_ connection: PostgresConnection, logger: Logger, scope principal: Principal) throws {
        guard let tenant = principal.resellerID else { throw Problem.notFound("No such employee.") }
        self.init(connection, logger: logger, tenant: tenant)
    }
}
