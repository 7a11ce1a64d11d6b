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
    let metrics: ServerMetrics

    package init(database: ScopedDatabase, migrations: MigrationRunner, authenticator: Authenticator, passwords: PasswordHasher, traffic: TrafficSettings = .init(),
                 metrics: ServerMetrics = ServerMetrics()) {
        self.metrics = metrics
        self.database = database
        self.migrations = migrations
        self.authenticator = authenticator
        self.passwords = passwords
        self.traffic = traffic
        self.batchAdmission = AdmissionGate(limit: traffic.concurrentBatches)
    }

    var logger: Logger { RequestInfo.current.logger }

    /// The request's one transaction as the authenticated caller, restricted to the roles the
    /// operation admits (``OperationAccess``, published by the transport in ``RequestInfo``):
    /// 401 without a valid credential, 403 for another role; store outcomes become problems.
    /// A principal the gate admitted before reading the body is used as it is: its credential was
    /// resolved moments ago in this request, and resolving it again would cost a round trip.
    func transaction<T: Sendable>(
        kind transactionKind: DatabaseDeadlines.Kind = .request,
        _ body: (Principal, PostgresConnection) async throws -> T
    ) async throws -> T {
        let request = RequestInfo.current
        if let principal = request.admittedPrincipal {
            guard request.allowedRoles.contains(principal.role) else { throw OperationAccess.refusal(for: principal.role) }
            return try await transaction(principal, kind: transactionKind) { connection in try await body(principal, connection) }
        }
        let credential = try authenticator.credential(from: request.authorization)
        do {
            return try await database.transaction(presenting: credential.hash, kind: credential.kind, transactionKind: transactionKind, logger: logger) { principal, connection in
                guard request.allowedRoles.contains(principal.role) else { throw OperationAccess.refusal(for: principal.role) }
                return try await body(principal, connection)
            }
        } catch is AuthenticationFailure {
            throw Authenticator.unknownCredential
        } catch {
            throw Self.problem(for: StoreError.classify(error))
        }
    }

    /// The authenticated caller alone, for handlers that must do work between transactions.
    func authenticate() async throws -> Principal {
        let request = RequestInfo.current
        if let principal = request.admittedPrincipal, request.allowedRoles.contains(principal.role) { return principal }
        return try await transaction { principal, _ in principal }
    }

    /// A further transaction for a principal already authenticated in this request.
    func transaction<T: Sendable>(
        _ principal: Principal,
        kind transactionKind: DatabaseDeadlines.Kind = .request,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await database.transaction(.principal(principal), kind: transactionKind, logger: logger, body)
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
                return Problem.staleETag(current: current)
            case .uniqueViolation(let constraint):
                return Problem.conflict("A record with the same \(UniqueConstraint.field(constraint)) already exists.", type: "duplicate",
                                        errors: [.init(field: UniqueConstraint.field(constraint), rule: "unique", message: "is already taken")])
            case .refusedByPolicy:
                return Problem.forbidden("The database's access policy refused this change.")
            case .invalidValue(let column, let rule):
                let field = ColumnField.field(column)
                return Problem.validation([.init(field: field, rule: rule, message: "was refused by the stored data's rules (\(rule))")])
            case .malformedValue(let column, let rule):
                let field = ColumnField.field(column)
                return Problem.badRequest("\(field.isEmpty ? "A value" : field) cannot be stored (malformed, or holds a character such as NUL).",
                                          errors: [.init(field: field, rule: rule, message: "is malformed or holds a character that cannot be stored")])
            case .missingReference(let column):
                let field = ColumnField.field(column)
                return Problem.validation([.init(field: field, rule: "exists", message: "refers to nothing that exists")])
            case .stillReferenced:
                return Problem.conflict("Other records still refer to this one.", type: "still-referenced")
            case .overlaps(let constraint):
                return Problem.conflict("The change overlaps an existing record.", type: "conflict",
                                        errors: [.init(field: ColumnField.field(constraint), rule: "overlap", message: "overlaps an existing record")])
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
        let request = RequestInfo.current
        let source = ClientAddress.resolve(peer: request.peerAddress, forwardedFor: request.forwardedFor, trustedProxies: authenticator.trustedProxies)
        let session = try await authenticator.login(email: body.email, password: body.password, source: source, logger: logger)
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

/// The request field a database column holds, for problems raised by the database itself.
enum ColumnField {
    static func field(_ column: String) -> String {
        switch column {
        case "contact_name": "contact.name"
        case "contact_email": "contact.email"
        case "contact_phone": "contact.phone"
        case "restriction_reason": "reason"
        default: camelCased(column)
        }
    }

    static func camelCased(_ name: String) -> String {
        let parts = name.split(separator: "_")
        guard let head = parts.first else { return name }
        return String(head) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
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
