internal import Foundation
import Logging
internal import OpenAPIRuntime
import PostgresNIO
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore

/// The implementation of every operation in `openapi.yaml`. Handlers authenticate, check the
/// role, validate, then run in one scoped transaction (where the audit entry is written too).
package struct APIService: APIProtocol {
    let database: ScopedDatabase
    let migrations: MigrationRunner
    let authenticator: Authenticator
    let passwords: PasswordHasher
    let traffic: TrafficSettings
    let inventory: InventorySettings
    let batchAdmission: AdmissionGate
    let metrics: ServerMetrics
    /// DNS TXT lookups that prove a reseller controls a portal hostname.
    let hostnameResolver: any TXTRecordResolver
    /// Seals content with its person's key, and destroys the key at erasure.
    let vault: ContentVault
    /// Signs receipts of erasures and answered requests.
    let receipts: ReceiptKeyring
    /// Webhook delivery rules (local trials) and the address check a URL gets at registration.
    let webhooks: WebhookSettings
    let webhookSender: WebhookSender
    let startup: StartupGate

    package init(database: ScopedDatabase, migrations: MigrationRunner, authenticator: Authenticator, passwords: PasswordHasher, vault: ContentVault,
                 traffic: TrafficSettings = .init(), inventory: InventorySettings = .init(), metrics: ServerMetrics = ServerMetrics(),
                 hostnameResolver: any TXTRecordResolver = DNSTXTResolver(), webhooks: WebhookSettings = .init(),
                 webhookSender: WebhookSender, startup: StartupGate = .open) {
        self.startup = startup
        self.vault = vault
        self.receipts = ReceiptKeyring(keys: vault.keys)
        self.webhooks = webhooks
        self.webhookSender = webhookSender
        self.metrics = metrics
        self.hostnameResolver = hostnameResolver
        self.database = database
        self.migrations = migrations
        self.authenticator = authenticator
        self.passwords = passwords
        self.traffic = traffic
        self.inventory = inventory
        self.batchAdmission = AdmissionGate(limit: traffic.concurrentBatches)
    }

    var logger: Logger { RequestInfo.current.logger }

    /// The request's transaction as the authenticated caller, in its scope, restricted to the roles
    /// the operation admits (``OperationAccess``, published by the transport in ``RequestInfo``):
    /// 401 without a valid credential, 403 for another role. What `body` and the store throw
    /// reports its own problem (``ProblemReporting``).
    func transaction<T: Sendable>(
        kind transactionKind: DatabaseDeadlines.Kind = .request,
        _ body: (Principal, PostgresConnection) async throws -> T
    ) async throws -> T {
        let principal = try await authenticate()
        return try await transaction(principal, kind: transactionKind) { connection in try await body(principal, connection) }
    }

    /// The authenticated caller, if the operation admits its role. A principal the gate admitted
    /// before reading the body is used as it is; otherwise the credential is resolved (from the
    /// credential cache when it was checked moments ago and nothing changed since).
    func authenticate() async throws -> Principal {
        let request = RequestInfo.current
        let principal = if let admitted = request.admittedPrincipal { admitted } else {
            try await authenticator.principal(from: request.authorization, logger: logger)
        }
        guard request.access.admits(principal) else { throw request.access.refusal(for: principal) }
        return principal
    }

    /// A further transaction for a principal already authenticated in this request.
    func transaction<T: Sendable>(
        _ principal: Principal,
        kind transactionKind: DatabaseDeadlines.Kind = .request,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await database.transaction(.principal(principal), kind: transactionKind, logger: logger, body)
    }

    // MARK: operations

    package func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    package func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        let logger = logger
        let status: MigrationStatus
        do {
            status = try await database.transaction(.readiness, logger: logger) { connection in
                try await migrations.status(on: connection, logger: logger)
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
        guard startup.isOpen else { throw Problem.serviceUnavailable("Starting: the first admin key is being created.") }
        return .ok(.init(body: .json(.init(status: .ready, appliedMigrations: status.applied, pendingMigrations: 0))))
    }

    package func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let principal = try await authenticate()
        return .ok(.init(body: .json(.init(
            role: .init(rawValue: principal.role.rawValue)!,
            principalId: principal.id.apiString,
            principalKind: principal.kind == .apiKey ? .apiKey : .session,
            duties: principal.role == .platform ? principal.duties.sorted().map { .init(rawValue: $0.rawValue)! } : nil,
            resellerId: principal.resellerID?.apiString,
            customerId: principal.customerID?.apiString
        ))))
    }

    package func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let session = try await authenticator.login(email: body.email, password: body.password, source: signInSource, logger: logger)
        return .created(.init(body: .json(.init(token: session.token, expiresAt: session.expiresAt))))
    }

    /// The client address a sign-in is counted against (``ClientAddress``: the peer, or a trusted proxy's `X-Forwarded-For`).
    var signInSource: String {
        let request = RequestInfo.current
        return ClientAddress.resolve(peer: request.peerAddress, forwardedFor: request.forwardedFor, trustedProxies: authenticator.trustedProxies)
    }

    package func deleteCurrentSession(_ input: Operations.DeleteCurrentSession.Input) async throws -> Operations.DeleteCurrentSession.Output {
        try await transaction { principal, connection in
            guard let sessionID = principal.sessionID else {
                throw Problem.forbidden("Only a session token can be logged out; revoke an API key with DELETE /v1/api-keys/{keyId}.")
            }
            if try await SessionRepository(connection, logger: logger).revoke(sessionID, staff: principal.role == .platform) {
                try await AuditLog.append(
                    AuditEntry(action: "session.revoke", targetID: sessionID, resellerID: principal.resellerID, customerID: principal.customerID),
                    by: principal, on: connection, logger: logger
                )
            }
        }
        return .noContent(.init())
    }
}
