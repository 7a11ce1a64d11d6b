import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
internal import OpenAPIRuntime
import PostgresNIO
package import ServiceLifecycle
import SwitchboardJobs
import SwitchboardStore

/// Everything the HTTP application needs from outside.
package struct AppDependencies: Sendable {
    package var database: PostgresClient
    package var migrations: MigrationSet
    package var maxBodyBytes: Int
    package var passwords: PasswordHasher
    package var traffic: TrafficSettings
    package var inventory: InventorySettings
    /// Peers whose `X-Forwarded-For` names the client (see ``ClientAddress``).
    package var trustedProxies: Set<String>
    package var loginThrottle: LoginThrottleRule
    /// How long a request may wait for the database before answering 503.
    package var databaseDeadlines: DatabaseDeadlines
    /// Idle, header and body timeouts and the cap on client connections.
    package var connectionLimits: ConnectionLimits
    /// Principals of recently checked credentials, emptied on every credential change (``CredentialChangeListener``).
    package var credentialCache: CredentialCache
    /// This application's metrics registry, served by `GET /metrics`; one per application, never global.
    package var metrics: ServerMetrics
    /// DNS TXT lookups for hostname verification (tests answer from a table).
    package var hostnameResolver: any TXTRecordResolver
    /// The managers' portal (cookie security).
    package var portal: PortalSettings
    /// Where people's content keys live (apart from this database).
    package var keyStore: any KeyStore
    /// Webhook delivery rules; the sender checks a URL's addresses at registration too.
    package var webhooks: WebhookSettings
    package var webhookSender: WebhookSender
    /// `/ready` waits for it (serve opens it once the first admin key exists).
    package var startup: StartupGate = .open

    package init(
        database: PostgresClient, migrations: MigrationSet, passwords: PasswordHasher, keyStore: any KeyStore, maxBodyBytes: Int = 1 << 20, traffic: TrafficSettings = .init(),
        inventory: InventorySettings = .init(), trustedProxies: Set<String> = [], loginThrottle: LoginThrottleRule = .init(),
        databaseDeadlines: DatabaseDeadlines = .init(), connectionLimits: ConnectionLimits = .init(),
        credentialCache: CredentialCache = .init(), metrics: ServerMetrics = ServerMetrics(), hostnameResolver: any TXTRecordResolver = DNSTXTResolver(),
        portal: PortalSettings = .init(), webhooks: WebhookSettings = .init(), webhookSender: WebhookSender? = nil
    ) throws {
        self.webhooks = webhooks
        self.webhookSender = try webhookSender ?? WebhookSender(policy: webhooks.addressPolicy)
        self.hostnameResolver = hostnameResolver
        self.keyStore = keyStore
        self.portal = portal
        self.credentialCache = credentialCache
        self.metrics = metrics
        self.trustedProxies = trustedProxies
        self.loginThrottle = loginThrottle
        self.database = database
        self.migrations = migrations
        self.passwords = passwords
        self.maxBodyBytes = maxBodyBytes
        self.traffic = traffic
        self.inventory = inventory
        self.databaseDeadlines = databaseDeadlines
        self.connectionLimits = connectionLimits
    }
}

package func buildRouter(_ dependencies: AppDependencies) throws -> Router<AppRequestContext> {
    var database = ScopedDatabase(client: dependencies.database, deadlines: dependencies.databaseDeadlines)
    database.poolObserver = dependencies.metrics
    let credentials = CredentialResolver(database: database, cache: dependencies.credentialCache)
    var authenticator = Authenticator(database: database, credentials: credentials, passwords: dependencies.passwords)
    authenticator.trustedProxies = dependencies.trustedProxies
    authenticator.throttle = dependencies.loginThrottle
    authenticator.metrics = dependencies.metrics
    let service = APIService(
        database: database,
        migrations: MigrationRunner(migrations: dependencies.migrations),
        authenticator: authenticator,
        passwords: dependencies.passwords,
        vault: ContentVault(keys: dependencies.keyStore),
        traffic: dependencies.traffic,
        inventory: dependencies.inventory,
        metrics: dependencies.metrics,
        hostnameResolver: dependencies.hostnameResolver,
        webhooks: dependencies.webhooks,
        webhookSender: dependencies.webhookSender,
        startup: dependencies.startup
    )
    let portal = try PortalController(database: database, authenticator: authenticator, service: service, settings: dependencies.portal)

    let router = Router(context: AppRequestContext.self)
    // Outermost, so it counts the status the boundary gives every error.
    router.middlewares.add(RequestMetricsMiddleware(metrics: dependencies.metrics))
    // Outside the API, the portal decides whether an error is a page (no problem document naming
    // the product may reach a manager on a brand's host).
    let boundary = RequestBoundaryMiddleware(maxBodyBytes: dependencies.maxBodyBytes, maxBatchBytes: dependencies.traffic.maxBatchBytes,
                                             pageForError: { request, status in await portal.pageForError(request, status: status) })
    router.middlewares.add(boundary)
    let transport = MethodAwareTransport(router: router, gate: OperationGate(authenticator: authenticator, bodyLimit: { boundary.limit(for: $0) }))
    try service.registerHandlers(on: transport, configuration: apiConfiguration, middlewares: [IfMatchRequiredMiddleware()])
    transport.registerMethodNotAllowedFallbacks()
    portal.register(on: router)
    return router
}

/// Compact JSON (the runtime's default pretty-prints and sorts keys, for no client's benefit) and
/// dates formatted without ICU: both showed up as a large share of every list response's CPU time.
let apiConfiguration = Configuration(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [])

/// The server: the router plus the database pool it runs as a service.
package func buildApplication(
    _ dependencies: AppDependencies,
    configuration: ApplicationConfiguration,
    logger: Logger,
    jobs: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let limits = dependencies.connectionLimits
    var configuration = configuration
    // Past the cap the server stops accepting: further connections wait in the kernel's backlog.
    configuration.availableConnectionsDelegate = MaximumAvailableConnections(limits.maxConnections)
    return Application(
        router: try buildRouter(dependencies),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadlineHandler(limits: limits)],
            idleTimeout: TimeAmount(limits.idleTimeout)
        )),
        configuration: configuration,
        // The pool first: services stop in reverse order, so the listener and jobs stop before it.
        services: [dependencies.database, CredentialChangeListener(client: dependencies.database, cache: dependencies.credentialCache, logger: logger)] + jobs,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
}

/// Runs Swift concurrency's tasks on the event loops that do the HTTP and database I/O, so a request
/// no longer hops between thread pools at every database round trip. Call once, first thing in `main`
/// (on the main thread), before any task work; nothing may then block a task's thread for long.
package func runTasksOnEventLoops() {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
