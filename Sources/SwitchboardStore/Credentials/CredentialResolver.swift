import Logging
import SwitchboardDomain

/// Resolves a presented credential to its principal: from ``CredentialCache`` when it was checked
/// within the cache's lifetime and nothing has changed since, else in a short transaction of the
/// authenticator scope (which also marks an API key used, at most once a minute).
public struct CredentialResolver: Sendable {
    let database: ScopedDatabase
    public let cache: CredentialCache

    public init(database: ScopedDatabase, cache: CredentialCache) {
        self.database = database
        self.cache = cache
    }

    /// Throws ``AuthenticationFailure`` for an unknown, revoked or expired credential.
    public func principal(presenting hash: String, kind: CredentialKind?, logger: Logger) async throws -> Principal {
        if let principal = cache.principal(for: hash) { return principal }
        let ticket = cache.ticket()
        let resolved = try await database.transaction(.authenticator(credentialHash: hash, loginEmail: nil), logger: logger) { connection in
            let credentials = AuthenticationRepository(connection, logger: logger)
            guard let resolved = try await credentials.resolve(hash: hash, kind: kind) else { throw AuthenticationFailure() }
            if resolved.keyUseIsStale { try await credentials.markKeyUsed(hash: hash, kind: kind) }
            return resolved
        }
        cache.store(resolved.principal, for: hash, expiresAt: resolved.expiresAt, ticket: ticket)
        return resolved.principal
    }
}
