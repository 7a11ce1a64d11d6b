import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Whose eyes a transaction sees the database through.
public enum DatabaseScope: Sendable {
    /// An authenticated request: its role's grants and its tenant's rows.
    case principal(Principal)
    /// Checking one presented credential: only the rows matching that hash or login e-mail are visible.
    case authenticator(credentialHash: String?, loginEmail: String?)
    /// The retention job (server or `switchboard retention run`): may run platform.run_retention, nothing else.
    case retention
}

/// The presented credential is unknown, revoked, expired, or its tenant is no longer active.
public struct AuthenticationFailure: Error {}

/// The one place that opens a request's transaction and switches role and tenant settings.
///
/// Everything is set with `set_config(…, true)`, which is transaction-local: when the transaction
/// ends, the pooled connection is back to the bare `sb_app` login role that can read nothing.
public struct ScopedDatabase: Sendable {
    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func transaction<T: Sendable>(
        _ scope: DatabaseScope,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await Self.enter(scope, on: connection, logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            throw Self.unwrap(error)
        }
    }

    /// A request's whole transaction: resolves the presented credential in the authenticator
    /// scope, which switches to the principal's scope for `body` when it matches, so a request
    /// costs one transaction. Throws ``AuthenticationFailure`` for an unknown, revoked or expired credential.
    public func transaction<T: Sendable>(
        presenting credentialHash: String,
        kind: CredentialKind?,
        logger: Logger,
        _ body: (Principal, PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let authenticator = DatabaseScope.authenticator(credentialHash: credentialHash, loginEmail: nil)
                try await Self.enter(authenticator, on: connection, logger: logger)
                let credentials = AuthenticationRepository(connection, logger: logger)
                guard let resolved = try await credentials.resolveEnteringScope(hash: credentialHash, kind: kind) else {
                    throw AuthenticationFailure()
                }
                if resolved.keyUseIsStale {
                    // At most once a minute per key: back to the authenticator, whose grant marking it is.
                    try await Self.enter(authenticator, on: connection, logger: logger)
                    try await credentials.markKeyUsed(hash: credentialHash, kind: kind)
                    try await Self.enter(.principal(resolved.principal), on: connection, logger: logger)
                }
                return try await body(resolved.principal, connection)
            }
        } catch let error as PostgresTransactionError {
            throw Self.unwrap(error)
        }
    }

    /// Sets role and every setting at once, so nothing of a previous scope survives a switch.
    private static func enter(_ scope: DatabaseScope, on connection: PostgresConnection, logger: Logger) async throws {
        for try await _ in try await connection.execute(EnterScope(Settings(scope)), logger: logger) {}
    }

    /// Prepared once per connection: every request runs it twice, and it never needs a new plan.
    struct EnterScope: PostgresPreparedStatement {
        static let sql = """
            SELECT set_config('role', $1, true),
                   set_config('sb.principal_id', $2, true),
                   set_config('sb.reseller_id', $3, true),
                   set_config('sb.customer_id', $4, true),
                   set_config('sb.credential_hash', $5, true),
                   set_config('sb.login_email', $6, true)
            """
        static let bindingDataTypes: [PostgresDataType] = Array(repeating: .text, count: 6)
        typealias Row = Void

        let settings: Settings

        init(_ settings: Settings) { self.settings = settings }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            for value in [settings.role, settings.principalID, settings.resellerID, settings.customerID, settings.credentialHash, settings.loginEmail] {
                bindings.append(value)
            }
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Callers handle what their own code threw; the wrapper only says where it happened.
    private static func unwrap(_ error: PostgresTransactionError) -> any Error {
        error.closureError ?? error.beginError ?? error.commitError ?? error
    }

    /// The values of the transaction-local settings; an empty string reads as "not set" in the policies.
    struct Settings {
        var role: String
        var principalID = ""
        var resellerID = ""
        var customerID = ""
        var credentialHash = ""
        var loginEmail = ""

        init(_ scope: DatabaseScope) {
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
            }
        }
    }
}
