import PostgresNIO

/// The values a scope writes into a transaction, one field per setting the policies read. An
/// empty string reads as "not set" in the policies, so a missing value fails closed.
package struct ScopeSettings: Equatable {
    var role: String
    var principalID = ""
    var resellerID = ""
    var customerID = ""
    var credentialHash = ""
    var loginEmail = ""

    package init(_ scope: DatabaseScope) {
        switch scope {
        case .principal(let principal):
            role = principal.role.databaseRole
            principalID = principal.id.uuidString.lowercased()
            resellerID = principal.resellerID?.uuidString.lowercased() ?? ""
            customerID = principal.customerID?.uuidString.lowercased() ?? ""
        case .authenticator(let hash, let email):
            role = "sb_authenticator"
            credentialHash = hash ?? ""
            loginEmail = email ?? ""
        case .retention:
            role = "sb_retention"
        case .readiness:
            role = DatabaseTarget.applicationRole
        }
    }
}
