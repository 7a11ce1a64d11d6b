import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps ``CredentialCache`` honest: listens on `sb_credentials` (announced by the triggers of
/// migration 0007 after every change that can end a credential) and empties the cache on each
/// announcement. The cache serves nothing until the LISTEN is in place, and again from the moment
/// the connection is lost until it is back, so a missed announcement cannot keep a revoked key alive.
///
/// It holds one pooled connection for as long as it runs.
public struct CredentialChangeListener: Service {
    public static let channel = "sb_credentials"
    /// The statement run once LISTEN is in place; it names the connection in `pg_stat_activity`.
    static let readyMarker = "'listening on sb_credentials'"

    let client: PostgresClient
    let cache: CredentialCache
    let logger: Logger
    let retryDelay: Duration

    public init(client: PostgresClient, cache: CredentialCache, logger: Logger, retryDelay: Duration = .seconds(1)) {
        self.client = client
        self.cache = cache
        self.logger = logger
        self.retryDelay = retryDelay
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await listenUntilCancelled()
        }
    }

    private func listenUntilCancelled() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { announcements in
                        // Queued behind LISTEN: once this answers, no announcement can be missed.
                        try await connection.query("SELECT \(unescaped: Self.readyMarker)", logger: logger)
                        cache.enable()
                        if failures > 0 { logger.info("credential cache live again: listening for credential changes") }
                        failures = 0
                        for try await _ in announcements {
                            cache.invalidateAll()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                if failures == 0 {
                    logger.warning("credential cache off: lost the credential-change channel; every credential is checked in the database until it is back",
                                   metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
                }
                failures += 1
            }
            cache.disable()
            try? await Task.sleep(for: retryDelay)
        }
        cache.disable()
    }
}
