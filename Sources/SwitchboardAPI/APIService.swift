internal import Foundation
import Logging
internal import OpenAPIRuntime
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The implementation of every operation in `openapi.yaml`. Handlers authenticate, check the
/// role, validate, then run in one scoped transaction (where the audit entry is written too).
package struct APIService: APIProtocol {
    let database: ScopedDatabase
    let migrations: MigrationRunner
    let authenticator: Authenticator
    let passwords: PasswordHasher
    let traffic: TrafficSettings
    let batchAdmission: AdmissionGate

    package init(database: ScopedDatabase, migrations: MigrationRunner, authenticator: Authenticator, passwords: PasswordHasher, traffic: TrafficSettings = .init()) {
        self.database = database
        self.migrations = migrations
        self.authenticator = authenticator
        self.passwords = passwords
        self.traffic = traffic
        self.batchAdmission = AdmissionGate(limit: traffic.concurrentBatches)
    }

    var logger: Logger { RequestInfo.current.logger }

    /// The request's one transaction as the authenticated caller, restricted to `roles`:
    /// 401 without a valid credential, 403 for another role; store outcomes become problems.
    func transaction<T: Sendable>(
        _ roles: Set<Role> = Set(Role.allCases),
        kind transactionKind: DatabaseDeadlines.Kind = .request,
        _ body: (Principal, PostgresConnection) async throws -> T
    ) async throws -> T {
        let credential = try authenticator.credential(from: RequestInfo.current.authorization)
        do {
            return try await database.transaction(presenting: credential.hash, kind: credential.kind, transactionKind: transactionKind, logger: logger) { principal, connection in
                guard roles.contains(principal.role) else {
                    throw Problem.forbidden("This operation is not available to the \(principal.role.rawValue) role.")
                }
                return try await body(principal, connection)
            }
        } catch is AuthenticationFailure {
            throw Authenticator.unknownCredential
        } catch {
            throw Self.problem(for: StoreError.classify(error))
        }
    }

    /// The authenticated caller alone, for handlers that must do work between transactions.
    func authenticate(_ roles: Set<Role> = Set(Role.allCases)) async throws -> Principal {
        try await transaction(roles) { principal, _ in principal }
    }

    /// A further transaction for a principal already authenticated in this request.
    func transaction<T: Sendable>(_ principal: Principal, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await database.transaction(.principal(principal), logger: logger, body)
        } catch {
            throw Self.problem(for: StoreError.classify(error))
        }
    }

    /// A hot read's 2xx body, rendered by ``StreamingJSONEncoder`` for the transport to send (see
    /// ``RenderedBody``). Returns `standIn`, an empty value of the same schema, for the generated code
    /// to encode; outside a served request (no transport to swap it in) returns `body` itself.
    func rendered<Body: Encodable>(_ body: Body, standIn: Body) throws -> Body {
        guard let slot = RequestInfo.current.renderedBody else { return body }
        slot.store(try StreamingJSONEncoder().encode(body))
        return standIn
    }

    static func problem(for error: any Error) -> any Error {
        switch error {
        case let store as StoreError:
            switch store {
            case .notFound: return Problem.notFound()
            case .versionMismatch(let current):
                return Problem(status: .preconditionFailed, type: Problem.typeURI("stale-etag"), title: "Precondition failed",
                               detail: "The resource changed since you read it (now at ETag \"\(current)\"). Read it again and retry.")
            case .uniqueViolation(let constraint):
                return Problem.conflict("A record with the same \(UniqueConstraint.field(constraint)) already exists.", type: "duplicate",
                                        errors: [.init(field: UniqueConstraint.field(constraint), rule: "unique", message: "is already taken")])
            case .refusedByPolicy:
                return Problem.forbidden("The database's access policy refused this change.")
            }
        case let validation as ValidationFailure:
            return Problem.validation(validation.violations)
        default:
            return error
        }
    }

    // MARK: operations

    package func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    package func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        let logger = logger
        let status: MigrationStatus
        do {
            status = try await withTimeout(.seconds(3)) {
                try await database.client.withConnection { connection in
                    try await migrations.status(on: connection, logger: logger)
                }
            }
        } catch let error as MigrationError {
            logger.error("not ready: migrations do not match this build", metadata: ["error": "\(error)"])
            throw Problem.serviceUnavailable("The database's migrations do not match this build.")
        } catch {
            logger.warning("not ready: database unreachable", metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
            throw Problem.serviceUnavailable("The database is not reachable.")
        }
        guard status.isCurrent else {
            throw Problem.serviceUnavailable("\(status.pending.count) migration(s) are not applied yet.")
        }
        return .ok(.init(body: .json(.init(status: .ready, appliedMigrations: status.applied, pendingMigrations: 0))))
    }

    package func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let principal = try await authenticate()
        return .ok(.init(body: .json(.init(
            role: .init(rawValue: principal.role.rawValue)!,
            principalId: principal.id.apiString,
            principalKind: principal.kind == .apiKey ? .apiKey : .session,
            resellerId: principal.resellerID?.apiString,
            customerId: principal.customerID?.apiString
        ))))
    }

    package func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let session = try await authenticator.login(email: body.email, password: body.password, logger: logger)
        return .created(.init(body: .json(.init(token: session.token, expiresAt: session.expiresAt))))
    }

    package func deleteCurrentSession(_ input: Operations.DeleteCurrentSession.Input) async throws -> Operations.DeleteCurrentSession.Output {
        try await transaction { principal, connection in
            guard let sessionID = principal.sessionID else {
                throw Problem.forbidden("Only a session token can be logged out; revoke an API key with DELETE /v1/api-keys/{keyId}.")
            }
            if try await SessionRepository(connection, logger: logger).revoke(sessionID) {
                try await AuditLog.append(
                    AuditEntry(action: "session.revoke", targetID: sessionID, resellerID: principal.resellerID, customerID: principal.customerID),
                    by: principal, on: connection, logger: logger
                )
            }
        }
        return .noContent(.init())
    }
}

/// Which request field a unique constraint protects, for the 409 problem.
enum UniqueConstraint {
    static func field(_ constraint: String) -> String {
        switch constraint {
        case "customers_reseller_id_external_ref_key": "externalRef"
        case "managers_email_key": "email"
        case "employees_reseller_id_customer_id_extension_key": "extension"
        case "number_assignments_active_number": "number"
        case "sim_cards_active_iccid": "iccid"
        case "fax_to_mail_number": "faxNumber"
        default: "id"
        }
    }
}

struct TimeoutError: Error {}

/// Runs `body`, giving up after `limit` (the pool otherwise waits for a connection indefinitely).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
